// orm::Defaulted<T>: a mapped member that may be left to the database.
//
// What the program assigned is what a flush writes: a plain member (`bool
// in_stock`, `int stock`) is always sent, whatever its value, even false, 0
// or "". A member whose column the database (or a default_value/default_factory)
// should fill when the program gives nothing is declared Defaulted<T>:
//
//   struct Book {
//       orm::Defaulted<std::int64_t> id;        // generated key: empty until flushed
//       std::string title;                      // always written
//       orm::Defaulted<bool> in_stock;          // unassigned: the server default
//       orm::Defaulted<DateTime> added;         // unassigned: func::now()
//       static auto mapping() {
//           return orm::table("book", orm::column(&Book::id, orm::primary_key()),
//                             orm::column(&Book::in_stock, orm::server_default(true)),
//                             orm::column(&Book::added, orm::server_default(sql::func::now())));
//       }
//   };
//   Book{.title = "t", .in_stock = false}      // writes false, never the default
//
// Unassigned, the member is left out of the INSERT and the value the database
// chose is read back into it (RETURNING where the dialect has it). Once
// assigned it stays assigned: reading gives the value (`*b.id`, `b.id.value()`),
// comparisons with T work as for std::optional. Defaulted<std::optional<T>> is
// the nullable form: nullopt is an assigned NULL, not "unassigned".
#pragma once

#include <compare>
#include <concepts>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "retort/error.hpp"
#include "retort/value_traits.hpp"

namespace retort::orm {

template <class T>
class Defaulted;

namespace detail {
template <class T>
inline constexpr bool is_defaulted_impl = false;
template <class T>
inline constexpr bool is_defaulted_impl<Defaulted<T>> = true;
}  // namespace detail

template <class T>
inline constexpr bool is_defaulted = detail::is_defaulted_impl<std::remove_cvref_t<T>>;

template <class T>
class Defaulted {
public:
    using value_type = T;

    /// Unassigned: the database's (or the column's client) default will be used.
    Defaulted() = default;
    Defaulted(const T& v) : value_(v) {}       // NOLINT: implicit by design, as std::optional
    Defaulted(T&& v) : value_(std::move(v)) {}  // NOLINT
    template <class U>
        requires(!std::same_as<std::remove_cvref_t<U>, Defaulted> && !std::same_as<std::remove_cvref_t<U>, T> &&
                 std::is_convertible_v<U &&, T>)
    Defaulted(U&& v) : value_(T(std::forward<U>(v))) {}  // NOLINT: "text" for a Defaulted<std::string>

    /// Whether a value was assigned (by the program, or read from the database).
    bool has_value() const noexcept { return value_.has_value(); }
    explicit operator bool() const noexcept = delete;  // ambiguous for Defaulted<bool>: use has_value()

    /// The value; throws InvalidRequestError while unassigned (before the flush
    /// that reads the database's value back).
    const T& value() const {
        if (!value_) throw_unassigned();
        return *value_;
    }
    T& value() {
        if (!value_) throw_unassigned();
        return *value_;
    }
    const T& operator*() const { return value(); }
    T& operator*() { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }
    /// The value, or `fallback` while unassigned.
    template <class U>
    T value_or(U&& fallback) const {
        return value_ ? *value_ : T(std::forward<U>(fallback));
    }
    /// Back to unassigned: the next INSERT leaves the column to its default.
    void reset() noexcept { value_.reset(); }

    // Comparisons as for std::optional: an unassigned value equals only another
    // unassigned one, and ordering needs a value (else InvalidRequestError).
    // Exact-type overloads, so that a value converting to T compares as a T.
    template <std::same_as<Defaulted> D>
    friend bool operator==(const Defaulted& a, const D& b) {
        return a.value_ == b.value_;
    }
    friend bool operator==(const Defaulted& a, const T& b) { return a.value_ && *a.value_ == b; }
    friend auto operator<=>(const Defaulted& a, const T& b)
        requires std::three_way_comparable<T>
    {
        return a.value() <=> b;
    }
    template <std::same_as<Defaulted> D>
        requires std::three_way_comparable<T>
    friend auto operator<=>(const Defaulted& a, const D& b) {
        return a.value() <=> b.value();
    }

private:
    [[noreturn]] static void throw_unassigned() {
        throw InvalidRequestError("an orm::Defaulted value was read before it was assigned or flushed");
    }
    std::optional<T> value_;
};

/// The column's C++ type of a member type: T for Defaulted<T>, else the type itself.
/// Writes the value, or "(default)" while unassigned.
template <class T>
    requires requires(std::ostream& os, const T& v) { os << v; }
std::ostream& operator<<(std::ostream& os, const Defaulted<T>& d) {
    if (d.has_value()) return os << *d;
    return os << "(default)";
}

template <class M>
struct column_value {
    using type = M;
};
template <class T>
struct column_value<Defaulted<T>> {
    using type = T;
};
template <class M>
using column_value_t = typename column_value<M>::type;

}  // namespace retort::orm

namespace retort {

/// A Defaulted<T> binds and reads as T; binding an unassigned one throws ArgumentError.
template <class T>
struct ValueTraits<orm::Defaulted<T>> {
    static constexpr ValueCategory category = ValueTraits<T>::category;
    static SqlType sql_type() { return ValueTraits<T>::sql_type(); }
    static Value to_value(const orm::Defaulted<T>& v) {
        if (!v.has_value()) throw ArgumentError("an unassigned orm::Defaulted value cannot be bound");
        return ValueTraits<T>::to_value(*v);
    }
    static orm::Defaulted<T> from_value(const Value& v) { return ValueTraits<T>::from_value(v); }
};

}  // namespace retort
