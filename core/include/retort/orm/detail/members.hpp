// What the mapping declarations need to know of a mapped class's members:
// which are relationships, and the name RETORT_MAPPED gives a member pointer.
#pragma once

#include <boost/core/demangle.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "retort/error.hpp"
#include "retort/orm/collection.hpp"

namespace retort::orm::detail {

template <class T>
struct slot_traits {
    static constexpr bool is_slot = false;
};
template <class T>
struct slot_traits<Collection<T>> {
    static constexpr bool is_slot = true;
    static constexpr bool is_collection = true;
    using target = T;
};
template <class T>
struct slot_traits<Reference<T>> {
    static constexpr bool is_slot = true;
    static constexpr bool is_collection = false;
    using target = T;
};
template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <class C>
using members_of = boost::describe::describe_members<C, boost::describe::mod_public>;

[[noreturn]] void throw_member_not_listed(const std::type_info& type);

/// The name of member `p` of C, as RETORT_MAPPED lists it.
template <class C, class M>
const char* member_name(M C::*p) {
    const char* out = nullptr;
    boost::mp11::mp_for_each<members_of<C>>([&](auto d) {
        if constexpr (std::is_same_v<std::remove_cv_t<decltype(d.pointer)>, M C::*>)
            if (d.pointer == p) out = d.name;
    });
    if (!out) throw_member_not_listed(typeid(C));
    return out;
}

}  // namespace retort::orm::detail
