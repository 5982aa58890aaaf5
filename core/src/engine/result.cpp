#include "retort/engine/result.hpp"

#include "retort/error.hpp"

namespace retort {

std::size_t ResultData::index_of(std::string_view name) const {
    std::size_t found = names.size();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] != name) continue;
        if (found != names.size())
            throw ArgumentError("column name '" + std::string(name) + "' is ambiguous in this result; use a label or a position");
        found = i;
    }
    if (found == names.size()) {
        std::string known;
        for (std::size_t i = 0; i < names.size(); ++i) known += (i ? ", " : "") + names[i];
        throw ArgumentError("no column '" + std::string(name) + "' in this result; columns: " + known);
    }
    return found;
}

const Value& Row::operator[](std::size_t i) const {
    if (i >= size())
        throw ArgumentError("column " + std::to_string(i) + " is out of range: the row has " + std::to_string(size()) + " columns");
    return data_->values[index_ * size() + i];
}

Row Result::row(std::size_t i) const {
    if (i >= size()) throw ArgumentError("row " + std::to_string(i) + " is out of range: the result has " + std::to_string(size()));
    return Row(data_, i);
}

std::vector<Row> Result::all() const {
    std::vector<Row> out;
    out.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) out.emplace_back(data_, i);
    return out;
}

std::optional<Row> Result::first() const {
    if (empty()) return std::nullopt;
    return Row(data_, 0);
}

Row Result::one() const {
    if (empty()) throw NoResultFound("one(): the statement returned no row");
    if (size() > 1) throw MultipleResultsFound("one(): the statement returned " + std::to_string(size()) + " rows");
    return Row(data_, 0);
}

std::optional<Row> Result::one_or_none() const {
    if (size() > 1) throw MultipleResultsFound("one_or_none(): the statement returned " + std::to_string(size()) + " rows");
    return first();
}

std::vector<std::map<std::string, Value>> Result::mappings() const {
    std::vector<std::map<std::string, Value>> out;
    out.reserve(size());
    for (std::size_t r = 0; r < size(); ++r) {
        std::map<std::string, Value> m;
        for (std::size_t c = 0; c < data_->width(); ++c) m.emplace(data_->names[c], data_->values[r * data_->width() + c]);
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace retort
