// The members that hold a mapped object's relationships: Collection<T> for the
// "many" side (one-to-many, many-to-many), Reference<T> for the "one" side
// (many-to-one). Both are plain values the application reads and assigns; the
// session reconciles them with the foreign keys at flush.
//
//   struct A { orm::Defaulted<std::int64_t> id; orm::Collection<B> bs; };
//   struct B { orm::Defaulted<std::int64_t> id; std::int64_t a_id = 0; orm::Reference<A> a; };
//
// An object loaded from the database starts with its relationships *not
// loaded* (unless a loader filled them). Reading or changing one then throws
// LazyLoadError naming the class and attribute: the async ORM does no I/O
// behind the caller's back. Assigning a whole new value is always allowed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <vector>

namespace retort::orm {

class RelationshipProperty;

namespace detail {
[[noreturn]] void throw_not_loaded(const RelationshipProperty& rel);
[[noreturn]] void throw_released(const RelationshipProperty& rel);
struct SlotAccess;
}  // namespace detail

/// What Collection and Reference share: whether the relationship is loaded.
class RelationshipSlot {
public:
    /// False for a relationship of a loaded object that no loader has filled.
    bool loaded() const noexcept { return unloaded_ == nullptr; }

protected:
    void require_loaded() const {
        if (unloaded_) detail::throw_not_loaded(*unloaded_);
    }
    void mark_loaded() noexcept { unloaded_ = nullptr; }

private:
    friend struct detail::SlotAccess;
    const RelationshipProperty* unloaded_ = nullptr;  ///< the relationship to name in the error
};

/// The related objects of a one-to-many or many-to-many relationship, in order.
///
/// What the program assigns or adds is owned. In a many-to-many pair
/// (back_populates) one side gives way, as Reference does for a one-to-many:
/// the relationship whose qualified name ("Class.member") sorts second. Where
/// an object it holds holds this one back, the session makes that entry
/// non-owning. Reading an entry whose object was released throws
/// LazyLoadError naming it (size() still counts it), and a flush leaves the
/// association rows of such a collection as they are. Elements are read by
/// value (a non-owning entry is locked for the read): iterate with
/// `const auto&` or by value.
template <class T>
class Collection : public RelationshipSlot {
public:
    using value_type = std::shared_ptr<T>;
    class const_iterator;

    Collection() = default;
    Collection(std::initializer_list<std::shared_ptr<T>> items) : items_(items) {}
    Collection(std::vector<std::shared_ptr<T>> items) : items_(std::move(items)) {}  // NOLINT: implicit by design
    /// Replaces the whole collection (allowed even when it was not loaded); owned.
    Collection& operator=(std::vector<std::shared_ptr<T>> items) {
        items_ = std::move(items);
        mirrors_.clear();
        released_by_ = nullptr;
        mark_loaded();
        return *this;
    }
    Collection& operator=(std::initializer_list<std::shared_ptr<T>> items) {
        return *this = std::vector<std::shared_ptr<T>>(items);
    }

    const_iterator begin() const { require_loaded(); return {this, 0}; }
    const_iterator end() const { require_loaded(); return {this, items_.size()}; }
    std::size_t size() const { require_loaded(); return items_.size(); }
    bool empty() const { require_loaded(); return items_.empty(); }
    std::shared_ptr<T> operator[](std::size_t i) const { require_loaded(); return at(i); }
    std::shared_ptr<T> front() const { return (*this)[0]; }
    std::shared_ptr<T> back() const { return (*this)[size() - 1]; }
    /// All of them, in order.
    std::vector<std::shared_ptr<T>> items() const {
        require_loaded();
        std::vector<std::shared_ptr<T>> out;
        out.reserve(items_.size());
        for (std::size_t i = 0; i < items_.size(); ++i) out.push_back(at(i));
        return out;
    }
    /// Whether it keeps every object it holds alive (see above).
    bool owning() const noexcept { return mirrors_.empty(); }

    void push_back(std::shared_ptr<T> item) {
        require_loaded();
        items_.push_back(std::move(item));
        if (!mirrors_.empty()) mirrors_.emplace_back();
    }
    /// Removes `item` (compared by identity); returns whether it was there.
    bool remove(const std::shared_ptr<T>& item) {
        require_loaded();
        for (std::size_t i = 0; i < items_.size(); ++i)
            if (points_at(i, item.get())) {
                erase_at(i);
                return true;
            }
        return false;
    }
    const_iterator erase(const_iterator pos) {
        require_loaded();
        erase_at(pos.index_);
        return {this, pos.index_};
    }
    void clear() {
        require_loaded();
        items_.clear();
        mirrors_.clear();
    }

    /// Reads an entry at a time; what it points at stays valid until it moves.
    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::shared_ptr<T>;
        using difference_type = std::ptrdiff_t;
        using pointer = const std::shared_ptr<T>*;
        using reference = const std::shared_ptr<T>&;

        const_iterator() = default;
        reference operator*() const {
            const auto& owned = owner_->items_[index_];
            if (owned || owner_->mirrors_.empty()) return owned;
            read_ = owner_->at(index_);  // a non-owning entry: held while the iterator points at it
            return read_;
        }
        pointer operator->() const { return &**this; }
        const_iterator& operator++() {
            ++index_;
            read_.reset();
            return *this;
        }
        const_iterator operator++(int) {
            auto old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.index_ == b.index_; }

    private:
        friend class Collection;
        const_iterator(const Collection* owner, std::size_t index) : owner_(owner), index_(index) {}
        const Collection* owner_ = nullptr;
        std::size_t index_ = 0;
        mutable std::shared_ptr<T> read_;
    };

private:
    friend struct detail::SlotAccess;
    std::shared_ptr<T> at(std::size_t i) const {
        if (items_[i] || mirrors_.empty()) return items_[i];
        auto t = mirrors_[i].lock();
        if (!t && released(i)) detail::throw_released(*released_by_);
        return t;
    }
    /// A non-owning entry whose object is gone (an empty one holds nullptr).
    bool released(std::size_t i) const {
        const auto& m = mirrors_[i];
        bool set = m.owner_before(std::weak_ptr<T>()) || std::weak_ptr<T>().owner_before(m);
        return set && m.expired();
    }
    bool points_at(std::size_t i, const T* p) const {
        if (items_[i] || mirrors_.empty()) return items_[i].get() == p;
        return p && mirrors_[i].lock().get() == p;
    }
    void erase_at(std::size_t i) {
        items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
        if (!mirrors_.empty()) mirrors_.erase(mirrors_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    /// Owned entries; a non-owning one is empty here and set in mirrors_.
    std::vector<std::shared_ptr<T>> items_;
    /// Empty while every entry is owned, else one per entry.
    std::vector<std::weak_ptr<T>> mirrors_;
    const RelationshipProperty* released_by_ = nullptr;  ///< non-owning entries: the relationship, for the error
};

/// The related object of a many-to-one relationship (or nullptr for none).
///
/// What the program assigns is owned: `b->a = a` keeps `a` alive. Where the
/// relationship is the mirror of a one-to-many collection (back_populates) and
/// that collection holds this object, the session makes the reference
/// non-owning (whenever it sees both: load, flush, close, expunge, merge), so
/// that parent and children do not keep each other alive: the parent is then
/// held by whoever holds it (the session, the application). Reading a
/// non-owning reference whose target was released throws LazyLoadError naming
/// it (hold the parent, or load the relationship again); a flush then leaves
/// the foreign key as it is.
template <class T>
class Reference : public RelationshipSlot {
public:
    Reference() = default;
    Reference(std::nullptr_t) {}  // NOLINT: implicit by design
    Reference(std::shared_ptr<T> target) : target_(std::move(target)) {}  // NOLINT: implicit by design
    /// Points at another object (allowed even when it was not loaded); owned.
    Reference& operator=(std::shared_ptr<T> target) {
        target_ = std::move(target);
        back_.reset();
        released_by_ = nullptr;
        mark_loaded();
        return *this;
    }
    Reference& operator=(std::nullptr_t) { return *this = std::shared_ptr<T>(); }

    std::shared_ptr<T> get() const {
        require_loaded();
        return current();
    }
    T* operator->() const { return get().get(); }
    T& operator*() const { return *get(); }
    explicit operator bool() const { return get() != nullptr; }
    /// Whether this reference keeps its target alive (see above).
    bool owning() const noexcept { return released_by_ == nullptr; }

private:
    friend struct detail::SlotAccess;
    std::shared_ptr<T> current() const {
        if (!released_by_) return target_;
        auto t = back_.lock();
        if (!t) detail::throw_released(*released_by_);
        return t;
    }
    std::shared_ptr<T> target_;
    std::weak_ptr<T> back_;                                   ///< while non-owning
    const RelationshipProperty* released_by_ = nullptr;       ///< non-owning: the relationship, for the error
};

}  // namespace retort::orm
