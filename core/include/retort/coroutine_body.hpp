// The rule for callables handed to an API that is co_awaited (a transaction
// body, a run_sync function): GCC 12 destroys a temporary closure that owns its
// captures twice when it is written inside the co_await expression, e.g.
//   co_await session.begin([bob](auto& s) -> awaitable<void> { ... });  // bob's count is broken
// (measured with AddressSanitizer; docs/gcc12.md). The library cannot repair
// it from the callee's side (the compiler keeps a bitwise copy of the closure),
// so on GCC 12 such a call does not compile. What compiles is safe:
// a body capturing by reference, a named body passed as an lvalue, or the
// transaction objects (`auto tx = co_await session.begin(); ... co_await tx.commit();`).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace retort {

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
inline constexpr bool compiler_destroys_coawait_temporaries_twice = true;
#else
inline constexpr bool compiler_destroys_coawait_temporaries_twice = false;
#endif

/// Whether a callable given as `F&&` may be taken: an lvalue, or a temporary
/// whose destruction does nothing (no capture owns anything).
template <class F>
inline constexpr bool safe_coroutine_body = !compiler_destroys_coawait_temporaries_twice ||
                                            std::is_lvalue_reference_v<F> ||
                                            std::is_trivially_destructible_v<std::remove_cvref_t<F>>;

namespace detail {

template <class Signature>
class OwnedBody;

/// A callable handed to a transaction or run_sync API, owned by the library
/// until the call ends. Type-erased (one virtual call per transaction) so that
/// the coroutine that runs it is compiled once, in the library, rather than in
/// every application once per lambda.
template <class R, class Arg>
class OwnedBody<R(Arg&)> {
public:
    template <class F>
    explicit OwnedBody(F f) : p_(std::make_unique<Of<F>>(std::move(f))) {}
    R operator()(Arg& arg) { return p_->call(arg); }

private:
    struct Base {
        virtual ~Base() = default;
        virtual R call(Arg& arg) = 0;
    };
    template <class F>
    struct Of final : Base {
        explicit Of(F body) : f(std::move(body)) {}
        R call(Arg& arg) override { return f(arg); }
        F f;
    };
    std::unique_ptr<Base> p_;
};

}  // namespace detail
}  // namespace retort

/// Refuses, with the reason and the ways out, a body that GCC 12 would destroy twice.
#define RETORT_REQUIRE_SAFE_BODY(F, api)                                                                      \
    static_assert(::retort::safe_coroutine_body<F>,                                                           \
                  api ": this body owns captures (by value: a shared_ptr, a string...) and is a temporary; "  \
                  "written inside co_await, GCC 12 destroys it twice (docs/gcc12.md). Capture by reference, " \
                  "or name the lambda first and pass the name, or use the transaction object: "              \
                  "auto tx = co_await session.begin(); ... co_await tx.commit();")
