#include "retort/engine/params.hpp"

namespace retort {

Params::Params(Entry e1, Entry e2, Entry e3, Entry e4, Entry e5, Entry e6, Entry e7, Entry e8) {
    for (Entry* e : {&e1, &e2, &e3, &e4, &e5, &e6, &e7, &e8})
        if (e->given) set(e->name, std::move(e->value));
}

void Params::set(const std::string& name, Value v) {
    for (auto& [n, value] : entries_)
        if (n == name) {
            value = std::move(v);
            return;
        }
    entries_.emplace_back(name, std::move(v));
}

const Value* Params::find(std::string_view name) const {
    for (const auto& [n, v] : entries_)
        if (n == name) return &v;
    return nullptr;
}

}  // namespace retort
