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
template <class T>
class Collection : public RelationshipSlot {
public:
    using value_type = std::shared_ptr<T>;
    using const_iterator = typename std::vector<std::shared_ptr<T>>::const_iterator;

    Collection() = default;
    Collection(std::initializer_list<std::shared_ptr<T>> items) : items_(items) {}
    Collection(std::vector<std::shared_ptr<T>> items) : items_(std::move(items)) {}  // NOLINT: implicit by design
    /// Replaces the whole collection (allowed even when it was not loaded).
    Collection& operator=(std::vector<std::shared_ptr<T>> items) {
        items_ = std::move(items);
        mark_loaded();
        return *this;
    }
    Collection& operator=(std::initializer_list<std::shared_ptr<T>> items) {
        return *this = std::vector<std::shared_ptr<T>>(items);
    }

    const_iterator begin() const { require_loaded(); return items_.begin(); }
    const_iterator end() const { require_loaded(); return items_.end(); }
    std::size_t size() const { require_loaded(); return items_.size(); }
    bool empty() const { require_loaded(); return items_.empty(); }
    const std::shared_ptr<T>& operator[](std::size_t i) const { require_loaded(); return items_[i]; }
    const std::shared_ptr<T>& front() const { require_loaded(); return items_.front(); }
    const std::shared_ptr<T>& back() const { require_loaded(); return items_.back(); }
    const std::vector<std::shared_ptr<T>>& items() const { require_loaded(); return items_; }

    void push_back(std::shared_ptr<T> item) { require_loaded(); items_.push_back(std::move(item)); }
    /// Removes `item` (compared by identity); returns whether it was there.
    bool remove(const std::shared_ptr<T>& item) {
        require_loaded();
        auto it = std::find(items_.begin(), items_.end(), item);
        if (it == items_.end()) return false;
        items_.erase(it);
        return true;
    }
    const_iterator erase(const_iterator pos) { require_loaded(); return items_.erase(pos); }
    void clear() { require_loaded(); items_.clear(); }

private:
    friend struct detail::SlotAccess;
    std::vector<std::shared_ptr<T>> items_;
};

/// The related object of a many-to-one relationship (or nullptr for none).
///
/// What the program assigns is owned: `b->a = a` keeps `a` alive. Where the
/// relationship is the mirror of a one-to-many collection (back_populates) and
/// that collection holds this object, the session makes the reference
/// non-owning, so that parent and children do not keep each other alive: the
/// parent is then held by whoever holds it (the session, the application).
/// Reading a non-owning reference whose target was released throws
/// LazyLoadError naming it (hold the parent, or load the relationship again).
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
