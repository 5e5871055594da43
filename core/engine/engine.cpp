#include "core/engine/engine.hpp"

#include <algorithm>

#include "core/check/repair_plan.hpp"
#include "core/engine/apply_outcome.hpp"
#include "core/engine/apply_plan.hpp"
#include "core/security/key_path.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {

namespace {

// FNV-1a over the descriptor's fields; stable within a run, which is all the
// sweep needs.
struct Fnv {
    std::uint64_t h = 1469598103934665603ull;
    void add(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            h ^= (v >> (i * 8)) & 0xff;
            h *= 1099511628211ull;
        }
    }
    void add(const Sid& sid) {
        add(sid.authority());
        add(sid.sub_authorities().size());
        for (auto s : sid.sub_authorities()) add(s);
    }
    void add(const std::optional<Sid>& sid) {
        add(sid.has_value());
        if (sid) add(*sid);
    }
    void add(const std::optional<Guid>& guid) {
        add(guid.has_value());
        if (guid)
            for (std::uint8_t b : *guid) add(b);
    }
    void add(const std::vector<std::uint8_t>& bytes) {
        add(bytes.size());
        for (std::uint8_t b : bytes) add(b);
    }
};

std::string findings_text(const std::vector<Finding>& findings) {
    std::string text;
    for (const Finding& f : findings) {
        if (!text.empty()) text += "; ";
        text += f.message;
    }
    return text;
}

bool has_errors(const std::vector<Finding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& f) { return f.severity == Severity::error; });
}

}  // namespace

KeyReport report_of(const KeyStatus& status) {
    KeyReport r;
    r.path = status.path;
    r.state = status.state;
    if (!status.sddl.empty()) r.sddl = status.sddl;
    r.findings = status.findings;
    return r;
}

std::uint64_t hash_descriptor(const SecurityDescriptor& sd) {
    Fnv f;
    f.add(sd.owner);
    f.add(sd.group);
    f.add(sd.dacl.has_value());
    if (sd.dacl) {
        const Acl& acl = *sd.dacl;
        f.add((acl.is_protected ? 1u : 0u) | (acl.auto_inherit_required ? 2u : 0u) |
              (acl.auto_inherited ? 4u : 0u) | (acl.is_null ? 8u : 0u));
        for (const Ace& ace : acl.aces) {
            f.add(static_cast<std::uint64_t>(ace.type) << 40 |
                  static_cast<std::uint64_t>(ace.flags) << 32 | ace.mask);
            f.add(ace.sid);
            // Object and callback ACEs: a change of what they apply to, or of
            // their condition, is a change of the descriptor too.
            f.add(ace.raw_type);
            f.add(ace.object_type);
            f.add(ace.inherited_object_type);
            f.add(ace.application_data);
        }
    }
    return f.h;
}

Engine::Engine(Config config, Ports ports) : config_(std::move(config)), ports_(ports) {
    status_.reserve(config_.keys.size());
    for (const KeyPolicy& key : config_.keys) {
        KeyStatus s;
        s.path = key.path;
        status_.push_back(std::move(s));
    }
    tracking_.resize(status_.size());
    frozen_.assign(status_.size(), false);
}

void Engine::compute_frozen() {
    frozen_.assign(status_.size(), false);
    if (frozen_subtrees_.empty()) return;
    for (std::size_t i = 0; i < status_.size(); ++i) {
        for (const std::string& subtree : frozen_subtrees_) {
            if (inside_checkpoint(status_[i].path, subtree)) {
                frozen_[i] = true;
                break;
            }
        }
    }
}

void Engine::freeze(const std::string& subtree) {
    frozen_subtrees_.push_back(subtree);
    compute_frozen();
}

std::vector<std::size_t> Engine::thaw(const std::string& subtree) {
    const auto it = std::find_if(frozen_subtrees_.begin(), frozen_subtrees_.end(),
                                 [&](const std::string& s) { return same_key_path(s, subtree); });
    if (it == frozen_subtrees_.end()) return {};
    frozen_subtrees_.erase(it);
    const std::vector<bool> before = frozen_;
    compute_frozen();
    std::vector<std::size_t> thawed;
    for (std::size_t i = 0; i < frozen_.size(); ++i) {
        if (before[i] && !frozen_[i]) thawed.push_back(i);
    }
    return thawed;
}

bool Engine::defer_if_frozen(std::size_t index) {
    if (!frozen_[index]) return false;
    ++counters_.deferred;
    return true;
}

void Engine::check_all() {
    for (std::size_t i = 0; i < status_.size(); ++i) process(i, "drift");
}

void Engine::check_key_now(std::size_t index, const std::string& reason, bool ignore_backoff) {
    if (index >= status_.size()) return;
    if (ignore_backoff) {
        tracking_[index].backoff_until.reset();
        tracking_[index].writes.clear();
    }
    process(index, reason);
}

void Engine::key_changed(std::size_t index) {
    if (index >= status_.size()) return;
    ++counters_.notifications;
    Tracking& t = tracking_[index];
    // The first notification of a burst sets the deadline; the rest of the
    // burst joins it, so a burst costs one check and at most one repair.
    if (!t.pending) {
        t.pending = ports_.clock.now() + std::chrono::milliseconds(config_.debounce_ms);
        watch_due(index);
    }
}

void Engine::run_due() {
    const TimePoint now = ports_.clock.now();
    // In key order, as a scan of every key would.
    std::vector<std::size_t> work;
    work.swap(due_);
    std::sort(work.begin(), work.end());
    work.erase(std::unique(work.begin(), work.end()), work.end());
    for (const std::size_t i : work) {
        if (i >= tracking_.size()) continue;
        Tracking& t = tracking_[i];
        const bool debounced = t.pending && *t.pending <= now;
        const bool backoff_over = t.backoff_until && *t.backoff_until <= now;
        if (!debounced && !backoff_over) continue;
        t.pending.reset();
        process(i, "drift");
    }
    for (const std::size_t i : work) {
        if (i < tracking_.size() && (tracking_[i].pending || tracking_[i].backoff_until))
            watch_due(i);
    }
}

std::optional<Engine::TimePoint> Engine::next_due() const {
    std::optional<TimePoint> next;
    for (const std::size_t i : due_) {
        if (i >= tracking_.size()) continue;
        const Tracking& t = tracking_[i];
        for (const auto& when : {t.pending, t.backoff_until}) {
            if (when && (!next || *when < *next)) next = when;
        }
    }
    return next;
}

std::size_t Engine::sweep_part(std::size_t first, std::size_t count) {
    if (first == 0) ++counters_.sweeps;
    const std::size_t end =
        first + std::min(count, status_.size() - std::min(first, status_.size()));
    for (std::size_t i = first; i < end; ++i) {
        if (defer_if_frozen(i)) continue;
        const KeyRead read = ports_.registry.read(status_[i].path);
        // Unchanged and settled: nothing to evaluate. A key left in drift is
        // evaluated again (cheap), so a repair undone before its read-back
        // is retried and counted toward flapping.
        const bool settled = status_[i].state == KeyState::compliant ||
                             status_[i].state == KeyState::repaired ||
                             (status_[i].state == KeyState::drift && config_.mode == Mode::audit);
        if (read.status == KeyRead::Status::ok && settled && tracking_[i].hash &&
            *tracking_[i].hash == hash_descriptor(read.sd)) {
            continue;
        }
        evaluate_read(i, read, "drift");
    }
    return end;
}

void Engine::replace_config(Config config, bool check) {
    std::vector<KeyStatus> status;
    std::vector<Tracking> tracking;
    status.reserve(config.keys.size());
    tracking.reserve(config.keys.size());
    for (const KeyPolicy& key : config.keys) {
        const auto same = std::find_if(status_.begin(), status_.end(), [&](const KeyStatus& s) {
            return same_key_path(s.path, key.path);
        });
        KeyStatus s;
        Tracking t;
        if (same != status_.end()) {
            s = *same;
            t = tracking_[static_cast<std::size_t>(same - status_.begin())];
            t.hash.reset();  // the policy may differ: evaluate again
        }
        s.path = key.path;
        status.push_back(std::move(s));
        tracking.push_back(std::move(t));
    }
    config_ = std::move(config);
    status_ = std::move(status);
    tracking_ = std::move(tracking);
    compute_frozen();  // a new key inside a frozen subtree is frozen too
    due_.clear();
    for (std::size_t i = 0; i < tracking_.size(); ++i) {
        if (tracking_[i].pending || tracking_[i].backoff_until) watch_due(i);
    }
    if (check) check_all();
}

void Engine::process(std::size_t index, const std::string& reason) {
    if (defer_if_frozen(index)) return;
    if (config_.mode == Mode::enforce) {
        inspect_and_repair(index, reason);
    } else {
        evaluate_read(index, ports_.registry.read(status_[index].path), reason);
    }
}

void Engine::inspect_and_repair(std::size_t index, const std::string& reason) {
    // One open for the look and the repair: the plan is made from what is
    // read through the handle that writes it.
    const AppliedPlan applied = apply_plan(
        ports_.registry, ports_.journal, status_[index].path, reason, std::string(now_utc()),
        [&](const SecurityDescriptor& current) -> std::optional<PlannedDacl> {
            std::optional<KeyReport> report = evaluate(index, current);
            if (!report || !flapping_guard(index)) return std::nullopt;
            return PlannedDacl{std::move(*report->planned->dacl), status_[index].sddl,
                               std::move(*report->planned_sddl)};
        });
    if (applied.outcome != AppliedPlan::Outcome::not_read) {
        finish_repair(index, applied);
    } else if (applied.before.status == KeyRead::Status::missing) {
        evaluate_read(index, applied.before, reason);
    } else {
        // Not openable for WRITE_DAC (access denied, say): look read-only, so
        // the key's findings are reported; a repair it needs fails as such.
        evaluate_read(index, ports_.registry.read(status_[index].path), reason);
    }
}

const std::string& Engine::now_utc() {
    using namespace std::chrono;
    const system_clock::time_point wall = ports_.clock.wall();
    const auto ms = duration_cast<milliseconds>(wall.time_since_epoch()).count();
    if (ms < 0) {  // before 1970: not worth a cache
        utc_second_ = -1;
        utc_text_ = format_utc(wall);
        return utc_text_;
    }
    const std::int64_t second = ms / 1000;
    if (second != utc_second_ || utc_text_.size() < 5) {
        utc_text_ = format_utc(wall);
        utc_second_ = second;
    }
    // "YYYY-MM-DDTHH:MM:SS.mmmZ": only the milliseconds differ within a second.
    const int m = static_cast<int>(ms % 1000);
    char* tail = utc_text_.data() + utc_text_.size() - 4;
    tail[0] = static_cast<char>('0' + m / 100);
    tail[1] = static_cast<char>('0' + m / 10 % 10);
    tail[2] = static_cast<char>('0' + m % 10);
    return utc_text_;
}

void Engine::set_error(std::size_t index, FindingKind kind, const std::string& message) {
    KeyStatus& s = status_[index];
    s.state = KeyState::error;
    s.findings = {Finding{kind, Severity::error, std::nullopt, message}};
}

void Engine::set_missing(std::size_t index, const std::string& why) {
    // No key, no descriptor: the one last read is not shown as the key's.
    status_[index].sddl.clear();
    tracking_[index].sddl_hash.reset();
    if (config_.keys[index].origin) {
        // A checkpoint not on this node yet: the restore creates it.
        status_[index].state = KeyState::absent;
        status_[index].findings.clear();
        return;
    }
    set_error(index, FindingKind::key_missing, why);
}

void Engine::evaluate_read(std::size_t index, const KeyRead& read, const std::string& reason) {
    if (read.status != KeyRead::Status::ok) {
        ++counters_.checks;
        status_[index].last_check = now_utc();
        tracking_[index].hash.reset();
        if (read.status == KeyRead::Status::missing) {
            set_missing(index, read.error);
        } else {
            set_error(index, FindingKind::read_failed, read.error);
        }
        return;
    }
    if (std::optional<KeyReport> report = evaluate(index, read.sd)) repair(index, *report, reason);
}

std::optional<KeyReport> Engine::evaluate(std::size_t index, const SecurityDescriptor& sd) {
    KeyStatus& s = status_[index];
    Tracking& t = tracking_[index];
    ++counters_.checks;
    s.last_check = now_utc();
    const std::uint64_t hash = hash_descriptor(sd);
    t.hash = hash;
    // The status text of a descriptor already formatted is not made again.
    const bool format = !(t.sddl_hash && *t.sddl_hash == hash);
    KeyReport report = check_key(config_.keys[index], &sd, ports_.accounts, format);
    if (format) {
        s.sddl = std::move(*report.sddl);
        t.sddl_hash = hash;
    }
    const KeyState before = s.state;
    const bool same_findings = s.findings == report.findings;
    s.findings = std::move(report.findings);
    if (report.state == KeyState::compliant) {
        // "repaired" stays until the key drifts again, so status shows it.
        if (before != KeyState::repaired) s.state = KeyState::compliant;
        t.backoff_until.reset();
        return std::nullopt;
    }
    const bool news = before != report.state || !same_findings;
    if (news && has_errors(s.findings)) {
        ++counters_.drift_found;
        ports_.alerts.raise(EventId::drift_found, {s.path, findings_text(s.findings)});
    }
    s.state = report.state;
    if (config_.mode == Mode::audit || !report.planned_sddl) return std::nullopt;
    return report;
}

bool Engine::flapping_guard(std::size_t index) {
    KeyStatus& s = status_[index];
    Tracking& t = tracking_[index];
    const TimePoint now = ports_.clock.now();
    if (t.backoff_until) {
        if (now < *t.backoff_until) {
            s.state = KeyState::flapping;
            return false;
        }
        // Back-off over: try again with a clean slate.
        t.backoff_until.reset();
        t.writes.clear();
    }
    const auto window = std::chrono::seconds(config_.flapping.window_s);
    const auto expired = std::find_if(t.writes.begin(), t.writes.end(),
                                      [&](const TimePoint& w) { return now - w < window; });
    t.writes.erase(t.writes.begin(), expired);
    if (static_cast<int>(t.writes.size()) < config_.flapping.max_repairs) return true;
    t.backoff_until = now + std::chrono::seconds(config_.flapping.backoff_s);
    watch_due(index);
    s.state = KeyState::flapping;
    ++counters_.flapping;
    ports_.alerts.raise(EventId::flapping, {s.path, std::to_string(t.writes.size()),
                                            std::to_string(config_.flapping.window_s),
                                            std::to_string(config_.flapping.backoff_s)});
    return false;
}

void Engine::repair_failed(std::size_t index, const std::string& why) {
    ++counters_.repair_failures;
    status_[index].state = KeyState::error;
    status_[index].findings.push_back(
        Finding{FindingKind::repair_failed, Severity::error, std::nullopt, why});
    // Raised once per distinct failure, not on every sweep that retries it.
    if (tracking_[index].last_failure != why) {
        tracking_[index].last_failure = why;
        ports_.alerts.raise(EventId::repair_failed, {status_[index].path, why});
    }
}

bool Engine::repair(std::size_t index, const KeyReport& report, const std::string& reason) {
    if (!flapping_guard(index)) return false;
    const std::optional<std::uint64_t> evaluated = tracking_[index].hash;
    std::optional<SecurityDescriptor> needs_no_write;
    const AppliedPlan applied = apply_plan(
        ports_.registry, ports_.journal, status_[index].path, reason, std::string(now_utc()),
        [&](const SecurityDescriptor& current) -> std::optional<PlannedDacl> {
            // status_.sddl is the text of the descriptor just evaluated
            // (report.sddl may be left empty when it was formatted before).
            if (evaluated && hash_descriptor(current) == *evaluated)
                return PlannedDacl{*report.planned->dacl, status_[index].sddl,
                                   *report.planned_sddl};
            // Changed since it was evaluated (another administrator's
            // emergency deny, say): plan again from what is there now, so
            // that change is kept, and journal what is really replaced.
            ++counters_.replans;
            KeyReport again = check_key(config_.keys[index], &current, ports_.accounts);
            if (!again.planned_sddl) {
                needs_no_write = current;
                return std::nullopt;
            }
            return PlannedDacl{std::move(*again.planned->dacl), std::move(*again.sddl),
                               std::move(*again.planned_sddl)};
        });
    if (needs_no_write) {
        // Compliant now, or no longer repairable: say so, write nothing.
        evaluate_read(index, KeyRead{KeyRead::Status::ok, *needs_no_write, {}}, reason);
        return false;
    }
    return finish_repair(index, applied);
}

bool Engine::finish_repair(std::size_t index, const AppliedPlan& applied) {
    KeyStatus& s = status_[index];
    switch (applied.outcome) {
        case AppliedPlan::Outcome::nothing_to_do:
            return false;
        case AppliedPlan::Outcome::not_read:
            if (applied.before.status == KeyRead::Status::missing) {
                tracking_[index].hash.reset();
                set_missing(index, applied.before.error);
                return false;
            }
            // Not openable for WRITE_DAC (access denied) or not readable
            // through that handle: the repair failed.
            [[fallthrough]];
        case AppliedPlan::Outcome::not_journaled:
        case AppliedPlan::Outcome::write_failed:
            repair_failed(index, *apply_failure(applied));
            return false;
        case AppliedPlan::Outcome::written:
            break;
    }
    // Only writes that landed count toward flapping: a repair that fails
    // (access denied) is an error, not another actor undoing PermWatch.
    tracking_[index].writes.push_back(ports_.clock.now());
    tracking_[index].last_failure.clear();
    ++counters_.repairs;
    ++s.repairs;
    s.last_repair = now_utc();
    ports_.alerts.raise(EventId::drift_repaired,
                        {s.path, applied.entry.before, applied.entry.after});
    // A subkey the repair could not pass its inheritance to (a link planted
    // below the key, say) is the administrator's to look at.
    for (const std::string& problem : applied.propagation.problems)
        ports_.alerts.raise(EventId::repair_failed, {s.path, problem});
    // Verify: what counts is what is on the key now (read through the handle
    // that wrote it).
    const KeyRead& after = applied.after;
    if (after.status != KeyRead::Status::ok) {
        set_error(index, FindingKind::read_failed, after.error);
        return false;
    }
    const std::uint64_t hash = hash_descriptor(after.sd);
    tracking_[index].hash = hash;
    KeyReport check = check_key(config_.keys[index], &after.sd, ports_.accounts);
    s.sddl = std::move(*check.sddl);
    tracking_[index].sddl_hash = hash;
    s.findings = std::move(check.findings);
    s.state = check.state == KeyState::compliant ? KeyState::repaired : check.state;
    return s.state == KeyState::repaired;
}

}  // namespace permwatch
