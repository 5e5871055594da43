// One owner for every kind of Win32 handle PermWatch holds (wil's unique_any
// is the model): a traits type says what the handle is, what "none" is and
// how it is closed. Moves transfer ownership; nothing is copied.
#pragma once

#include <windows.h>

#include <atomic>
#include <utility>

namespace permwatch::win {

template <typename Traits>
class UniqueHandle {
public:
    using pointer = typename Traits::pointer;
    using closer = typename Traits::closer;

    UniqueHandle() = default;
    explicit UniqueHandle(pointer value, closer close = closer()) noexcept : close_(close) {
        reset(value);
    }
    ~UniqueHandle() { reset(); }
    UniqueHandle(UniqueHandle&& other) noexcept
        : value_(std::exchange(other.value_, Traits::none())), close_(other.close_) {}
    UniqueHandle& operator=(UniqueHandle&& other) noexcept {
        if (this != &other) {
            reset();
            value_ = std::exchange(other.value_, Traits::none());
            close_ = other.close_;
        }
        return *this;
    }
    UniqueHandle(const UniqueHandle&) = delete;
    UniqueHandle& operator=(const UniqueHandle&) = delete;

    pointer get() const noexcept { return value_; }
    bool valid() const noexcept { return Traits::valid(value_); }
    explicit operator bool() const noexcept { return valid(); }
    // Closes what is held, then owns `value`.
    void reset(pointer value = Traits::none()) noexcept {
        if (valid()) close_(value_);
        value_ = value;
        if constexpr (requires { Traits::acquired(value); }) {
            if (valid()) Traits::acquired(value_);
        }
    }
    pointer release() noexcept { return std::exchange(value_, Traits::none()); }

private:
    pointer value_ = Traits::none();
    closer close_{};
};

// A closer that is a plain function: CloseHandle, LocalFree, ...
template <typename T, auto Close>
struct CloseWith {
    void operator()(T value) const noexcept { Close(value); }
};

// A closer known only at run time (clusapi's, loaded from System32). `R` is
// what the closer returns (CloseCluster a BOOL, ClusterRegCloseKey a LONG,
// ClusterGroupCloseEnum a DWORD); it is not looked at.
template <typename T, typename R = BOOL>
struct CloseThrough {
    using Fn = R(WINAPI*)(T);
    Fn fn = nullptr;
    void operator()(T value) const noexcept {
        if (fn) fn(value);
    }
};

// null is "none" for most kinds.
template <typename T, typename Closer>
struct NullIsNone {
    using pointer = T;
    using closer = Closer;
    static constexpr T none() noexcept { return T{}; }
    static bool valid(T value) noexcept { return value != T{}; }
};

// Kernel handles: CreateFile returns INVALID_HANDLE_VALUE, most others null;
// neither is closed.
struct KernelHandleTraits {
    using pointer = HANDLE;
    using closer = CloseWith<HANDLE, &CloseHandle>;
    static HANDLE none() noexcept { return nullptr; }
    static bool valid(HANDLE h) noexcept { return h != nullptr && h != INVALID_HANDLE_VALUE; }
};

using UniqueKernelHandle = UniqueHandle<KernelHandleTraits>;
using UniqueServiceHandle =
    UniqueHandle<NullIsNone<SC_HANDLE, CloseWith<SC_HANDLE, &CloseServiceHandle>>>;
// A view of a file mapping (MapViewOfFile).
using UniqueView = UniqueHandle<NullIsNone<void*, CloseWith<const void*, &UnmapViewOfFile>>>;
// Memory Windows allocated for the caller with LocalAlloc (security
// descriptors from the SDDL converters, FormatMessage's text).
using UniqueLocal = UniqueHandle<NullIsNone<HLOCAL, CloseWith<HLOCAL, &LocalFree>>>;

}  // namespace permwatch::win
