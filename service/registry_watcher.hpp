// Watches registry keys with RegNotifyChangeKeyValue and says "key i may have
// changed". Like wil's registry_watcher, the one-shot rule lives here only: a
// key's notification is re-armed *before* the callback runs, so whatever the
// callback's reader sees, every later change fires again.
//
// Deleted and recreated keys: Windows signals a watcher when its key is
// deleted (re-arming then fails with ERROR_KEY_DELETED); Wine does not
// (docs/testing.md (c)). So each key's parent is watched too, for NAME changes
// of its direct children: when it fires, the key is reopened by path. A key
// that does not exist yet waits on its parent; a key whose parent does not
// exist either is retried on a slow timer (Options::retry_interval).
//
// Keys inside a cluster checkpoint (core/engine/checkpoint_watch.hpp) are never
// opened here: the Cluster service cannot restore a subtree in which any
// process holds a key. Such a key is watched from above, through one
// subtree watch on the key its plan names (outside every checkpoint), shared
// by every key that names the same one; any change below it reports all of
// them. A key whose plan is sweep_only is not watched at all.
//
// Known gap under Wine only: when the parent itself is deleted and recreated
// (a whole subtree replaced), nothing signals the stale parent handle, so the
// key is found again only by reopen_all() or the engine's sweep.
//
// Threads: one owned thread per group of up to 63 wait objects (keys plus the
// distinct parents of those keys; with the command event, 64 =
// MAXIMUM_WAIT_OBJECTS), so 1,000 keys take 17 to 33 threads. Every key is
// opened, armed and closed on its group's thread, because a notification
// armed without REG_NOTIFY_THREAD_AGNOSTIC (Windows 8+) ends when the thread
// that armed it exits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine/checkpoint_watch.hpp"

namespace permwatch::win {

class RegistryWatcher {
public:
    // Called with the index (into the constructor's list) of a key that may
    // have changed: a value or subkey changed, its DACL changed (Windows only),
    // it was deleted, it appeared, or the watcher reopened it. Spurious calls
    // happen (e.g. a sibling was created under the same parent); the reader
    // must re-read the key and decide.
    //
    // Runs on a watcher thread, never two at once. It must be quick and must
    // not throw: post the index to your own thread and return. It must not
    // call stop(), close_all() or reopen_all() (they wait for watcher threads;
    // doing so throws std::logic_error).
    using Callback = std::function<void(std::size_t index)>;

    struct Options {
        // How often a key whose parent is missing (or that failed to open for
        // another reason, e.g. access denied) is tried again.
        std::chrono::milliseconds retry_interval{3000};
    };

    enum class KeyState {
        stopped,              // not started, stopped, or released by close_all()
        watching,             // open and armed
        watching_from_above,  // its plan's key (outside the checkpoint) is open and armed
        not_watched,          // sweep_only: left to the caller's sweep
        waiting_for_parent,   // missing; its parent is watched for it to appear
        retrying,             // missing or not openable; retried on the slow timer
    };

    // `paths` in the contract form "HKLM\\..." or "HKEY_LOCAL_MACHINE\\..."
    // (a subkey, not the root). Throws std::invalid_argument for any other.
    // Every key watched directly.
    RegistryWatcher(std::vector<std::string> paths, Callback callback);
    RegistryWatcher(std::vector<std::string> paths, Callback callback, Options options);
    // One plan per path; a from_above plan's watch_from is checked as a path is.
    RegistryWatcher(std::vector<std::string> paths, std::vector<KeyWatchPlan> plans,
                    Callback callback, Options options);
    ~RegistryWatcher();  // stop()
    RegistryWatcher(const RegistryWatcher&) = delete;
    RegistryWatcher& operator=(const RegistryWatcher&) = delete;

    // Opens and arms every key that exists and starts the threads. Returns
    // once every key is armed, so a change made after start() is reported.
    // Keys that are missing are not an error. Throws Win32Error if an event
    // cannot be created (std::system_error for a thread). start() while
    // running does nothing.
    void start();
    // Wakes and joins every thread; every handle is closed. Idempotent.
    void stop();

    // Failover support. set_frozen: one flag per key; a frozen key's handle is
    // closed and stays closed (and so is a parent whose keys are all frozen;
    // a watch from above stays, being outside every checkpoint);
    // a key no longer frozen is reopened and re-armed without being reported
    // (the caller checks it). Returns when done. Before start() it only says
    // which keys start() opens.
    void set_frozen(std::vector<bool> frozen);
    // Every key frozen; then all thawed, and every index reported once (a
    // registry restore rewrites keys without firing notifications).
    void close_all();
    void reopen_all();

    std::size_t size() const { return paths_.size(); }
    const std::string& path(std::size_t index) const { return paths_[index]; }
    KeyState state(std::size_t index) const;
    // Watcher threads running (one per wait group).
    std::size_t thread_count() const { return threads_.load(); }

private:
    class Group;
    friend class Group;

    void notify(std::size_t index);
    void apply(std::vector<bool> frozen, bool report);

    std::vector<std::string> paths_;
    std::vector<std::wstring> subkeys_;  // below HKLM, for RegOpenKeyExW
    // Per key: "" watched directly, else the key below HKLM watched for it.
    std::vector<std::wstring> above_;
    std::vector<bool> unwatched_;  // sweep_only
    Callback callback_;
    Options options_;
    std::unique_ptr<std::atomic<int>[]> states_;
    std::atomic<std::size_t> threads_{0};
    std::mutex callback_mutex_;  // callbacks never overlap
    std::mutex control_mutex_;   // start/stop/close_all/reopen_all one at a time
    std::vector<bool> frozen_;   // under control_mutex_; what a group starts with
    std::vector<std::unique_ptr<Group>> groups_;
};

}  // namespace permwatch::win
