#include "service/registry_watcher.hpp"

#include <windows.h>

#include <algorithm>
#include <cwctype>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "service/key_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// What a watched key reports: a subkey or value added, removed or set anywhere
// below it, or its security changed (the last never fires under Wine).
constexpr DWORD kKeyFilter =
    REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET | REG_NOTIFY_CHANGE_SECURITY;
// What a parent reports: one of its direct subkeys appeared or went away.
constexpr DWORD kParentFilter = REG_NOTIFY_CHANGE_NAME;
// What a watch from above reports: anything anywhere below it (its keys sit
// deep inside a checkpoint).
constexpr DWORD kAboveFilter = kKeyFilter;
// Wait objects per thread besides the command event.
constexpr std::size_t kMaxEntries = MAXIMUM_WAIT_OBJECTS - 1;

thread_local bool t_on_watcher_thread = false;

// An auto-reset event for one key's notifications.
UniqueKernelHandle make_event() {
    UniqueKernelHandle event(CreateEventW(nullptr, FALSE, FALSE, nullptr));
    if (!event) throw Win32Error("creating an event for the registry watcher", GetLastError());
    return event;
}

std::wstring parent_of(const std::wstring& subkey) {
    const auto slash = subkey.rfind(L'\\');
    return slash == std::wstring::npos ? std::wstring() : subkey.substr(0, slash);
}

std::wstring folded(std::wstring text) {
    for (auto& c : text) c = static_cast<wchar_t>(std::towlower(c));
    return text;
}

// A subkey below HKLM in the form the watcher opens, or nullopt.
std::optional<std::wstring> watchable_subkey(const std::string& path) {
    KeyPath kp;
    const bool ok = split_key_path(path, kp) && !kp.subkey.empty() && kp.subkey.front() != L'\\' &&
                    kp.subkey.back() != L'\\' && kp.subkey.find(L"\\\\") == std::wstring::npos;
    if (!ok) return std::nullopt;
    return std::move(kp.subkey);
}

}  // namespace

class RegistryWatcher::Group {
public:
    Group(RegistryWatcher& owner, const std::vector<std::size_t>& indices) : owner_(owner) {
        keys_.reserve(indices.size());
        for (const auto index : indices) {
            const auto& subkey = owner_.subkeys_[index];
            const bool above = !owner_.above_[index].empty();
            const auto parent = above ? owner_.above_[index] : parent_of(subkey);
            // indices come sorted by parent, so a shared parent is the last one
            if (parents_.empty() || parents_.back().subtree != above ||
                folded(parents_.back().subkey) != folded(parent)) {
                parents_.push_back(Parent{parent, above, {}, KeyHandle(), make_event()});
            }
            parents_.back().keys.push_back(keys_.size());
            // A key watched from above needs no event: it is never armed.
            keys_.push_back(Key{index, subkey, parents_.size() - 1, above, KeyHandle(),
                                above ? UniqueKernelHandle() : make_event(),
                                owner_.frozen_.empty() ? false : owner_.frozen_[index]});
        }
    }

    ~Group() {
        request_stop();
        if (thread_.joinable()) thread_.join();
    }

    // Launches the thread and returns once it has armed every key that is
    // not frozen.
    void launch() {
        std::promise<void> ready;
        auto armed = ready.get_future();
        // The thread owns the promise: set_value may still be running when
        // wait() returns, so the promise must not die with this frame.
        thread_ = std::thread([this](std::promise<void> p) { run(p); }, std::move(ready));
        armed.wait();
    }

    void request_stop() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        SetEvent(command_.get());
    }

    void join() {
        if (thread_.joinable()) thread_.join();
    }

    // Runs `command` on this group's thread and waits for it.
    void run_sync(std::function<void()> command) {
        // Shared for the same reason as in launch().
        auto done = std::make_shared<std::promise<void>>();
        auto finished = done->get_future();
        {
            std::lock_guard lock(mutex_);
            tasks_.push_back([command = std::move(command), done] {
                command();
                done->set_value();
            });
        }
        SetEvent(command_.get());
        finished.wait();
    }

    // Closes what is newly frozen, then reopens what thawed (parents first).
    void apply(const std::vector<bool>& frozen, bool report) {
        for (auto& key : keys_) {
            key.frozen = frozen[key.index];
            if (key.frozen && !key.above) {
                close_key(key);
                set_state(key, KeyState::stopped);
            }
        }
        for (auto& parent : parents_) {
            if (all_frozen(parent)) close_parent(parent);
        }
        open_everything(report);
    }

private:
    struct Key {
        std::size_t index;  // into the owner's list
        std::wstring subkey;
        std::size_t parent;  // into parents_
        bool above;          // watched from above: never opened here
        KeyHandle handle;
        UniqueKernelHandle event;
        bool frozen = false;  // failover: never opened until thawed
    };
    struct Parent {
        std::wstring subkey;
        // A watch from above (its whole subtree, for keys inside a
        // checkpoint), else a key's direct parent (its children's names).
        bool subtree;
        std::vector<std::size_t> keys;  // into keys_
        KeyHandle handle;
        UniqueKernelHandle event;
    };

    void run(std::promise<void>& ready) {
        t_on_watcher_thread = true;
        open_everything(/*report=*/false);
        ready.set_value();

        std::vector<HANDLE> waits{command_.get()};
        for (std::size_t k = 0; k < keys_.size(); ++k) {
            if (keys_[k].above) continue;
            waits.push_back(keys_[k].event.get());
            targets_.push_back({false, k});
        }
        for (std::size_t p = 0; p < parents_.size(); ++p) {
            waits.push_back(parents_[p].event.get());
            targets_.push_back({true, p});
        }
        const auto count = static_cast<DWORD>(waits.size());
        const auto retry_ms = static_cast<DWORD>(owner_.options_.retry_interval.count());

        for (;;) {
            const DWORD timeout = needs_retry() ? retry_ms : INFINITE;
            const DWORD woke = WaitForMultipleObjects(count, waits.data(), FALSE, timeout);
            if (woke == WAIT_OBJECT_0) {
                if (run_tasks()) break;
                continue;
            }
            if (woke == WAIT_TIMEOUT) {
                retry();
                continue;
            }
            if (woke == WAIT_FAILED || woke >= WAIT_OBJECT_0 + count) {
                // Cannot happen with valid events; never spin if it does.
                spdlog::error("registry watcher: WaitForMultipleObjects: {}",
                              describe("waiting", GetLastError()));
                Sleep(retry_ms);
                continue;
            }
            const DWORD first = woke - WAIT_OBJECT_0;
            dispatch(first);
            // WaitForMultipleObjects reports the lowest signalled index only:
            // serve the others now so a busy key cannot starve later ones.
            for (DWORD i = 1; i < count; ++i) {
                if (i != first && WaitForSingleObject(waits[i], 0) == WAIT_OBJECT_0) dispatch(i);
            }
        }
        close_everything();
    }

    // Returns true when the thread must stop.
    bool run_tasks() {
        std::vector<std::function<void()>> tasks;
        bool stop = false;
        {
            std::lock_guard lock(mutex_);
            tasks.swap(tasks_);
            stop = stop_;
        }
        for (auto& task : tasks) task();
        return stop;
    }

    void dispatch(DWORD wait_index) {
        const Target& target = targets_[wait_index - 1];
        if (target.parent) {
            on_parent(parents_[target.index]);
        } else {
            on_key(keys_[target.index]);
        }
    }

    void on_key(Key& key) {
        if (!key.handle) return;  // a signal left over from closing the handle
        // One-shot: re-arm before anyone reads the key, so nothing is missed.
        if (arm(key) != ERROR_SUCCESS) {
            // Windows: ERROR_KEY_DELETED once the key is gone. Look for a new
            // one of the same name; otherwise its parent (or the timer) waits.
            close_key(key);
            open_key(key);
        }
        owner_.notify(key.index);
    }

    void on_parent(Parent& parent) {
        if (!parent.handle) return;
        if (arm(parent) != ERROR_SUCCESS) close_parent(parent);  // parent gone: timer
        if (parent.subtree) {
            // Something changed somewhere below: each key re-reads itself.
            mark_from_above(parent);
            for (const auto k : parent.keys) owner_.notify(keys_[k].index);
            return;
        }
        // A child appeared or went away. Reopen each by path: with KEY_NOTIFY
        // only, a handle on a deleted key cannot be told from one on the live
        // key, and Wine never signals the deleted key's own watcher.
        for (const auto k : parent.keys) {
            Key& key = keys_[k];
            if (key.frozen) continue;
            const bool was_open = static_cast<bool>(key.handle);
            close_key(key);
            if (open_key(key) || was_open) owner_.notify(key.index);
        }
    }

    void retry() {
        for (auto& parent : parents_) {
            if (parent.handle || all_frozen(parent)) continue;
            open_parent(parent);
            if (parent.subtree && parent.handle) {
                // Watched again: whatever happened below meanwhile is unknown.
                for (const auto k : parent.keys) owner_.notify(keys_[k].index);
            }
        }
        for (auto& key : keys_) {
            if (!key.above && !key.frozen && !key.handle && state(key) == KeyState::retrying &&
                open_key(key)) {
                owner_.notify(key.index);
            }
        }
    }

    bool needs_retry() const {
        return std::any_of(parents_.begin(), parents_.end(),
                           [this](const Parent& p) { return !p.handle && !all_frozen(p); }) ||
               std::any_of(keys_.begin(), keys_.end(), [this](const Key& k) {
                   return !k.above && !k.frozen && state(k) == KeyState::retrying;
               });
    }

    // A parent whose keys are all frozen may sit inside a frozen subtree. A
    // watch from above never does: it stays through a failover.
    bool all_frozen(const Parent& parent) const {
        if (parent.subtree) return false;
        return std::all_of(parent.keys.begin(), parent.keys.end(),
                           [this](std::size_t k) { return keys_[k].frozen; });
    }

    void open_everything(bool report) {
        // Parents first: a key created between its open and its parent's arm
        // would otherwise go unseen.
        for (auto& parent : parents_) {
            if (!parent.handle && !all_frozen(parent)) open_parent(parent);
            if (parent.subtree) mark_from_above(parent);
        }
        for (auto& key : keys_) {
            if (key.frozen) continue;
            if (!key.above && !key.handle) open_key(key);
            if (report) owner_.notify(key.index);
        }
    }

    // The state of the keys a watch from above serves: watched while it is
    // armed; otherwise the slow timer tries it again.
    void mark_from_above(const Parent& parent) {
        const KeyState now = parent.handle ? KeyState::watching_from_above : KeyState::retrying;
        for (const auto k : parent.keys) set_state(keys_[k], now);
    }

    void close_everything() {
        for (auto& key : keys_) {
            close_key(key);
            set_state(key, KeyState::stopped);
        }
        for (auto& parent : parents_) close_parent(parent);
    }

    // Opens and arms `key`; on failure records why it waits.
    bool open_key(Key& key) {
        LONG rc = open_handle(key.subkey, key.handle);
        if (rc == ERROR_SUCCESS) {
            ResetEvent(key.event.get());
            rc = arm(key);
            if (rc == ERROR_SUCCESS) {
                set_state(key, KeyState::watching);
                return true;
            }
            close_key(key);  // deleted between the open and the arm
        }
        // A missing key shows up as a NAME change of its parent, if the
        // parent is watched; anything else (access denied) needs the timer.
        const bool missing =
            rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND || rc == ERROR_KEY_DELETED;
        const bool parent_watched = static_cast<bool>(parents_[key.parent].handle);
        set_state(key,
                  missing && parent_watched ? KeyState::waiting_for_parent : KeyState::retrying);
        return false;
    }

    void open_parent(Parent& parent) {
        if (open_handle(parent.subkey, parent.handle) == ERROR_SUCCESS) {
            ResetEvent(parent.event.get());
            if (arm(parent) != ERROR_SUCCESS) close_parent(parent);
        }
        if (parent.subtree) mark_from_above(parent);
    }

    void close_key(Key& key) {
        if (key.above) return;
        key.handle.reset();
        // Closing a key signals its pending notification: drop that signal.
        ResetEvent(key.event.get());
    }

    void close_parent(Parent& parent) {
        parent.handle.reset();
        ResetEvent(parent.event.get());
    }

    LONG open_handle(const std::wstring& subkey, KeyHandle& out) {
        // KEY_NOTIFY only: the least access that can watch. An empty subkey
        // (a key directly below HKLM has HKLM as parent) opens HKLM again.
        // REG_OPTION_OPEN_LINK (open_key): a link is watched as itself, never
        // followed (its check reports it as an error: key_handle.hpp).
        return win::open_key(subkey, KEY_NOTIFY, out);
    }

    static LONG arm(Key& key) {
        return RegNotifyChangeKeyValue(key.handle.get(), TRUE, kKeyFilter, key.event.get(), TRUE);
    }
    static LONG arm(Parent& parent) {
        return RegNotifyChangeKeyValue(parent.handle.get(), parent.subtree ? TRUE : FALSE,
                                       parent.subtree ? kAboveFilter : kParentFilter,
                                       parent.event.get(), TRUE);
    }

    KeyState state(const Key& key) const {
        return static_cast<KeyState>(owner_.states_[key.index].load());
    }
    void set_state(const Key& key, KeyState state) {
        owner_.states_[key.index].store(static_cast<int>(state));
    }

    RegistryWatcher& owner_;
    std::vector<Key> keys_;
    std::vector<Parent> parents_;
    // What each wait object after the command event stands for.
    struct Target {
        bool parent;
        std::size_t index;  // into parents_ or keys_
    };
    std::vector<Target> targets_;
    UniqueKernelHandle command_ = make_event();

    std::mutex mutex_;  // guards stop_ and tasks_
    bool stop_ = false;
    std::vector<std::function<void()>> tasks_;

    std::thread thread_;
};

RegistryWatcher::RegistryWatcher(std::vector<std::string> paths, Callback callback)
    : RegistryWatcher(std::move(paths), std::move(callback), Options{}) {}

RegistryWatcher::RegistryWatcher(std::vector<std::string> paths, Callback callback, Options options)
    : RegistryWatcher(paths, std::vector<KeyWatchPlan>(paths.size()), std::move(callback),
                      options) {}

RegistryWatcher::RegistryWatcher(std::vector<std::string> paths, std::vector<KeyWatchPlan> plans,
                                 Callback callback, Options options)
    : paths_(std::move(paths)),
      callback_(std::move(callback)),
      options_(options),
      states_(std::make_unique<std::atomic<int>[]>(paths_.size())) {
    if (plans.size() != paths_.size()) {
        throw std::invalid_argument("registry watcher: one watch plan per key expected");
    }
    const auto subkey_of = [](const std::string& path) {
        auto subkey = watchable_subkey(path);
        if (!subkey) {
            throw std::invalid_argument("registry watcher: \"" + path +
                                        "\" is not a key below HKLM (expected \"HKLM\\\\...\" "
                                        "or \"HKEY_LOCAL_MACHINE\\\\...\")");
        }
        return std::move(*subkey);
    };
    subkeys_.reserve(paths_.size());
    for (std::size_t i = 0; i < paths_.size(); ++i) {
        subkeys_.push_back(subkey_of(paths_[i]));
        const KeyWatchPlan& plan = plans[i];
        above_.push_back(plan.mode == KeyWatchPlan::Mode::from_above ? subkey_of(plan.watch_from)
                                                                     : std::wstring());
        unwatched_.push_back(plan.mode == KeyWatchPlan::Mode::sweep_only);
        states_[i].store(
            static_cast<int>(unwatched_[i] ? KeyState::not_watched : KeyState::stopped));
    }
}

RegistryWatcher::~RegistryWatcher() {
    try {
        stop();
    } catch (const std::exception& e) {
        // Only when destroyed from its own callback: the groups' destructors
        // still stop their threads (except the calling one, which is a bug).
        spdlog::error("registry watcher: {}", e.what());
    }
}

void RegistryWatcher::start() {
    if (t_on_watcher_thread) throw std::logic_error("RegistryWatcher::start from its callback");
    std::lock_guard control(control_mutex_);
    if (!groups_.empty()) return;

    // Keys sharing a parent (or a watch from above) go to the same group so
    // they share its watch. Keys left to the sweep are in no group.
    std::vector<std::size_t> order;
    std::vector<std::wstring> parents(paths_.size());
    for (std::size_t i = 0; i < paths_.size(); ++i) {
        if (unwatched_[i]) continue;
        order.push_back(i);
        parents[i] =
            above_[i].empty() ? L"0" + folded(parent_of(subkeys_[i])) : L"1" + folded(above_[i]);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return parents[a] < parents[b]; });

    // Each group waits on its keys plus their distinct parents.
    std::vector<std::vector<std::size_t>> chunks;
    std::size_t entries = 0;
    for (std::size_t n = 0; n < order.size(); ++n) {
        const bool shares_parent = n > 0 && parents[order[n]] == parents[order[n - 1]];
        // The key (unless watched from above), and its parent if not there yet.
        const std::size_t own = above_[order[n]].empty() ? 1 : 0;
        std::size_t cost = own + (shares_parent ? 0 : 1);
        if (chunks.empty() || entries + cost > kMaxEntries) {
            chunks.emplace_back();
            entries = 0;
            cost = own + 1;
        }
        chunks.back().push_back(order[n]);
        entries += cost;
    }

    std::vector<std::unique_ptr<Group>> groups;
    for (const auto& chunk : chunks) groups.push_back(std::make_unique<Group>(*this, chunk));
    // On failure the groups' destructors stop the threads already running.
    for (auto& group : groups) group->launch();
    threads_ = groups.size();
    groups_ = std::move(groups);
}

void RegistryWatcher::stop() {
    if (t_on_watcher_thread) throw std::logic_error("RegistryWatcher::stop from its callback");
    std::lock_guard control(control_mutex_);
    for (auto& group : groups_) group->request_stop();
    for (auto& group : groups_) group->join();
    groups_.clear();
    threads_ = 0;
}

void RegistryWatcher::set_frozen(std::vector<bool> frozen) { apply(std::move(frozen), false); }

void RegistryWatcher::close_all() { apply(std::vector<bool>(paths_.size(), true), false); }

void RegistryWatcher::reopen_all() { apply(std::vector<bool>(paths_.size(), false), true); }

void RegistryWatcher::apply(std::vector<bool> frozen, bool report) {
    if (t_on_watcher_thread) {
        throw std::logic_error(
            "RegistryWatcher::set_frozen/close_all/reopen_all from its callback");
    }
    if (frozen.size() != paths_.size()) {
        throw std::invalid_argument("registry watcher: one frozen flag per key expected");
    }
    std::lock_guard control(control_mutex_);
    // A key watched from above (or left to the sweep) holds no handle of its
    // own, and a watch from above stays through a freeze: when only such keys
    // change, no group has anything to close or open, so the hand-off to each
    // group's thread (a wake and a wait for it, most of what a failover's
    // freeze costs) is skipped. Every flag is set again by the next hand-off.
    bool holds_nothing = !report;
    for (std::size_t i = 0; holds_nothing && i < frozen.size(); ++i) {
        const bool was = !frozen_.empty() && frozen_[i];
        if (frozen[i] != was && above_[i].empty() && !unwatched_[i]) holds_nothing = false;
    }
    frozen_ = frozen;
    if (holds_nothing) return;
    for (auto& group : groups_)
        group->run_sync([&group, &frozen, report] { group->apply(frozen, report); });
}

RegistryWatcher::KeyState RegistryWatcher::state(std::size_t index) const {
    return static_cast<KeyState>(states_[index].load());
}

void RegistryWatcher::notify(std::size_t index) {
    std::lock_guard lock(callback_mutex_);
    try {
        callback_(index);
    } catch (const std::exception& e) {
        spdlog::error("registry watcher: the change handler failed for {}: {}", paths_[index],
                      e.what());
    } catch (...) {
        spdlog::error("registry watcher: the change handler failed for {}", paths_[index]);
    }
}

}  // namespace permwatch::win
