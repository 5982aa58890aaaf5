// From a statement tree to what a driver executes: cache lookup, parameter
// values in placeholder order, client-side defaults, expanding IN lists.
#include <algorithm>

#include "engine_state.hpp"
#include "retort/error.hpp"
#include "retort/plugin/dialect.hpp"

namespace retort::detail {

namespace {

const sql::TableNode* insert_target(const sql::StatementNode& stmt) {
    if (stmt.kind != sql::NodeKind::insert) return nullptr;
    return static_cast<const sql::InsertNode&>(stmt).table.get();
}

// A string the database would refuse or alter (a NUL byte in PostgreSQL text,
// invalid UTF-8) is refused here, naming its column, before anything is sent.
void refuse_unstorable(const plugin::Dialect& dialect, const sql::Compiled& c, const sql::ParamRef& ref,
                       std::size_t position, const Value& v) {
    const auto* text = std::get_if<std::string>(&v);
    if (!text) return;
    auto kind = ref.type.kind;
    if (kind != TypeKind::string && kind != TypeKind::text && kind != TypeKind::json && kind != TypeKind::null_type) return;
    auto problem = dialect.unstorable_text(*text);
    if (!problem) return;
    Diagnostics d;
    d.sqlstate = "22021";  // character not in repertoire
    d.message = (ref.column.empty() ? "the value of parameter " + std::to_string(position + 1)
                                    : "the value for column '" + ref.column + "'") +
                " " + *problem + "; it was not sent";
    d.statement = c.sql;
    if (!ref.column.empty()) d.columns.push_back(ref.column);
    throw DataError(std::move(d));
}

}  // namespace

StatementLookup look_up(EngineState& engine, const sql::StatementNode& stmt) {
    StatementLookup found;
    found.key = &stmt.cache_key();
    found.entry = engine.cache.get(stmt, *found.key, engine.dialect(), found.cached);
    return found;
}

PreparedExecution prepare_execution(EngineState& engine, const sql::StatementNode& stmt, const Params& params) {
    return bind_execution(engine, stmt, look_up(engine, stmt), params);
}

PreparedExecution bind_execution(EngineState& engine, const sql::StatementNode& stmt, const StatementLookup& found,
                                 const Params& params) {
    const sql::CacheKey& key = *found.key;
    PreparedExecution out;
    out.entry = found.entry;
    out.cached = found.cached;
    const sql::Compiled& c = out.entry->compiled;

    out.params.reserve(c.params.size());
    std::vector<std::size_t> sizes;
    if (c.has_expanding) sizes.resize(c.params.size(), 1);
    for (std::size_t i = 0; i < c.params.size(); ++i) {
        const sql::ParamRef& ref = c.params[i];
        auto add = [&](Value v) {
            refuse_unstorable(engine.dialect(), c, ref, out.params.size(), v);
            out.params.push_back(std::move(v));
        };
        switch (ref.source) {
            case sql::ParamRef::Source::literal: {
                const sql::BindNode& b = *key.binds.at(ref.index);
                if (ref.expanding) {
                    sizes[i] = b.values.size();
                    for (const auto& v : b.values) add(v);
                } else {
                    add(b.value);
                }
                break;
            }
            case sql::ParamRef::Source::named: {
                const Value* v = params.find(ref.name);
                if (!v) throw ArgumentError("the statement needs a value for parameter '" + ref.name + "'");
                add(*v);
                break;
            }
            case sql::ParamRef::Source::column_default: {
                const sql::TableNode* t = insert_target(stmt);
                if (!t || ref.index >= t->columns.size() || !t->columns[ref.index].default_factory)
                    throw CompileError("internal: a column default has no factory");
                add(t->columns[ref.index].default_factory());
                break;
            }
        }
    }
    if (c.has_expanding) out.expanded_sql = sql::expand_sql(engine.dialect().compiler(), c, sizes);
    if (out.params.size() > engine.dialect().capabilities().max_parameters)
        throw ArgumentError("the statement has " + std::to_string(out.params.size()) + " parameters; " +
                            std::string(engine.dialect().name()) + " accepts at most " +
                            std::to_string(engine.dialect().capabilities().max_parameters));
    return out;
}

void convert_results(const CompiledEntry& entry, std::vector<Value>& values, std::size_t width) {
    const auto& conv = entry.result_converters;
    if (conv.size() != width || std::none_of(conv.begin(), conv.end(), [](auto f) { return f != nullptr; })) return;
    const auto& cols = entry.compiled.columns;
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::size_t col = i % width;
        if (conv[col] && !is_null(values[i])) conv[col](values[i], cols[col].type);
    }
}

}  // namespace retort::detail
