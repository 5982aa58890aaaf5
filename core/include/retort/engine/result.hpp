// Buffered results: Result holds every row of a statement; Row is a cheap view
// of one of them.
//
//   auto result = co_await conn.execute(select(users_id, users_name));
//   for (const auto& row : result.all())
//       std::cout << row.get<std::int64_t>(0) << " " << row.get<std::string>("name") << "\n";
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "retort/value_traits.hpp"

namespace retort {

/// The rows of a result, row-major, shared by the Result and its Rows.
struct ResultData {
    std::vector<std::string> names;
    std::vector<Value> values;
    std::size_t width() const { return names.size(); }
    std::size_t size() const { return names.empty() ? 0 : values.size() / names.size(); }
    /// The position of column `name`; throws ArgumentError if there is none (or it is ambiguous).
    std::size_t index_of(std::string_view name) const;
};

/// One row of a result. Keeps its result's data alive.
class Row {
public:
    Row(std::shared_ptr<const ResultData> data, std::size_t index) : data_(std::move(data)), index_(index) {}

    std::size_t size() const { return data_->width(); }
    const Value& operator[](std::size_t i) const;
    const Value& operator[](std::string_view name) const { return (*this)[data_->index_of(name)]; }
    /// Column i read as T; throws ArgumentError when the value is not convertible (NULL reads only into optional).
    template <Readable T>
    T get(std::size_t i) const {
        return from_value<T>((*this)[i]);
    }
    template <Readable T>
    T get(std::string_view name) const {
        return from_value<T>((*this)[name]);
    }
    /// The first columns as a tuple: `auto [id, name] = row.as<std::int64_t, std::string>();`
    template <Readable... T>
    std::tuple<T...> as() const {
        return as_impl<T...>(std::index_sequence_for<T...>{});
    }
    std::span<const Value> values() const { return {data_->values.data() + index_ * size(), size()}; }
    const std::vector<std::string>& keys() const { return data_->names; }

private:
    template <class... T, std::size_t... I>
    std::tuple<T...> as_impl(std::index_sequence<I...>) const {
        if (sizeof...(T) > size()) throw ArgumentError("Row::as<...>() asks for more columns than the row has");
        return {from_value<T>((*this)[I])...};
    }
    std::shared_ptr<const ResultData> data_;
    std::size_t index_;
};

/// The whole result of a statement, already read from the database.
class Result {
public:
    Result() : data_(std::make_shared<ResultData>()) {}
    Result(std::shared_ptr<const ResultData> data, std::int64_t rows_affected)
        : data_(std::move(data)), rows_affected_(rows_affected) {}

    const std::vector<std::string>& keys() const { return data_->names; }
    std::size_t size() const { return data_->size(); }
    bool empty() const { return size() == 0; }
    Row row(std::size_t i) const;
    std::vector<Row> all() const;
    /// The first row, if any.
    std::optional<Row> first() const;
    /// Exactly one row; throws NoResultFound or MultipleResultsFound otherwise.
    Row one() const;
    /// At most one row; throws MultipleResultsFound if there are more.
    std::optional<Row> one_or_none() const;
    /// The first column of every row, read as T.
    template <Readable T = Value>
    std::vector<T> scalars() const {
        std::vector<T> out;
        out.reserve(size());
        for (std::size_t i = 0; i < size(); ++i) out.push_back(from_value<T>(data_->values[i * data_->width()]));
        return out;
    }
    /// The first column of the first row (NULL, or nullopt for an empty result, reads only into optional).
    template <Readable T = Value>
    T scalar() const {
        if (empty()) {
            if constexpr (Readable<T> && requires { T{std::nullopt}; }) return T{std::nullopt};
            else if constexpr (std::is_same_v<T, Value>) return Value{null};
            else throw NoResultFound("scalar(): the statement returned no row");
        }
        return from_value<T>(data_->values[0]);
    }
    /// Every row as a column-name to value map.
    std::vector<std::map<std::string, Value>> mappings() const;
    /// Rows changed by an INSERT, UPDATE or DELETE (-1 when not applicable).
    std::int64_t rowcount() const { return rows_affected_; }
    /// What the driver reports as the last generated key, where it reports one.
    std::optional<std::int64_t> last_insert_id() const { return last_insert_id_; }
    void set_last_insert_id(std::optional<std::int64_t> id) { last_insert_id_ = id; }
    const std::shared_ptr<const ResultData>& data() const { return data_; }

private:
    std::shared_ptr<const ResultData> data_;
    std::int64_t rows_affected_ = -1;
    std::optional<std::int64_t> last_insert_id_;
};

}  // namespace retort
