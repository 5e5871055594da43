#include "core/check/key_report.hpp"

#include <algorithm>
#include <sstream>

#include "core/check/repair_plan.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {

std::string_view to_string(KeyState state) {
    switch (state) {
        case KeyState::compliant:
            return "compliant";
        case KeyState::drift:
            return "drift";
        case KeyState::repaired:
            return "repaired";
        case KeyState::error:
            return "error";
        case KeyState::flapping:
            return "flapping";
        case KeyState::absent:
            return "absent";
    }
    return "unknown";
}

KeyReport key_error(const KeyPolicy& policy, FindingKind kind, std::string message) {
    KeyReport report;
    report.path = policy.path;
    report.state = KeyState::error;
    report.findings.push_back({kind, Severity::error, std::nullopt, std::move(message)});
    return report;
}

KeyReport check_read(const KeyPolicy& policy, const KeyRead& read, AccountResolver& accounts) {
    switch (read.status) {
        case KeyRead::Status::ok:
            return check_key(policy, &read.sd, accounts);
        case KeyRead::Status::missing:
            return check_key(policy, nullptr, accounts);
        case KeyRead::Status::error:
            break;
    }
    return key_error(policy, FindingKind::read_failed, read.error);
}

KeyReport check_key(const KeyPolicy& policy, const SecurityDescriptor* current,
                    AccountResolver& accounts) {
    return check_key(policy, current, accounts, true);
}

KeyReport check_key(const KeyPolicy& policy, const SecurityDescriptor* current,
                    AccountResolver& accounts, bool format_current) {
    if (current == nullptr) {
        if (policy.origin) {
            KeyReport report;
            report.path = policy.path;
            report.state = KeyState::absent;
            return report;
        }
        return key_error(policy, FindingKind::key_missing,
                         "the key " + policy.path + " does not exist");
    }
    const auto requirements = resolve_requirements(policy, accounts);
    KeyReport report;
    report.path = policy.path;
    if (format_current) report.sddl = format_sddl(*current);
    report.findings = evaluate(*current, requirements);
    // No finding at all means every account resolved, the DACL is present,
    // not null and canonical, and no requirement lacks rights or is blocked:
    // plan_repair would change nothing and return no blockers, so skip it.
    if (!report.findings.empty()) {
        RepairPlan plan = plan_repair(*current, requirements);
        if (plan.planned) {
            report.planned_sddl = format_sddl(*plan.planned);
            report.planned = std::move(plan.planned);
        }
        report.blockers = std::move(plan.blockers);
    }

    const auto has = [&](auto pred) {
        return std::any_of(report.findings.begin(), report.findings.end(), pred);
    };
    if (has([](const Finding& f) { return f.kind == FindingKind::unresolved_account; })) {
        report.state = KeyState::error;
    } else if (has([](const Finding& f) { return f.severity == Severity::error; })) {
        report.state = KeyState::drift;
    }
    return report;
}

int check_exit_code(const std::vector<KeyReport>& reports) {
    int code = 0;
    for (const KeyReport& r : reports) {
        if (r.state == KeyState::error) return 2;
        if (r.state == KeyState::drift || r.state == KeyState::flapping) code = 1;
    }
    return code;
}

namespace {

nlohmann::ordered_json optional_string(const std::optional<std::string>& s) {
    return s ? nlohmann::ordered_json(*s) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json to_json(const Finding& f) {
    return {{"kind", to_string(f.kind)},
            {"principal", optional_string(f.principal)},
            {"message", f.message},
            {"severity", to_string(f.severity)}};
}

nlohmann::ordered_json to_json(const std::vector<KeyReport>& reports) {
    using nlohmann::ordered_json;
    ordered_json keys = ordered_json::array();
    bool ok = true;
    for (const KeyReport& r : reports) {
        ok = ok && (r.state == KeyState::compliant || r.state == KeyState::repaired ||
                    r.state == KeyState::absent);
        ordered_json findings = ordered_json::array();
        for (const Finding& f : r.findings) findings.push_back(to_json(f));
        keys.push_back({{"path", r.path},
                        {"state", to_string(r.state)},
                        {"sddl", optional_string(r.sddl)},
                        {"planned_sddl", optional_string(r.planned_sddl)},
                        {"findings", std::move(findings)},
                        {"not_repairable", r.blockers}});
    }
    return {{"ok", ok}, {"keys", std::move(keys)}};
}

std::string to_text(const std::vector<KeyReport>& reports) {
    std::ostringstream out;
    int counts[6] = {};
    for (const KeyReport& r : reports) {
        ++counts[static_cast<int>(r.state)];
        out << r.path << "\n  state:   " << to_string(r.state) << "\n";
        for (const Finding& f : r.findings) {
            out << "  " << (f.severity == Severity::warning ? "warning" : "finding") << ": "
                << f.message << "\n";
        }
        for (const std::string& b : r.blockers) out << "  cannot repair: " << b << "\n";
        if (r.sddl) out << "  now:     " << *r.sddl << "\n";
        if (r.planned_sddl) out << "  planned: " << *r.planned_sddl << "\n";
    }
    out << reports.size() << (reports.size() == 1 ? " key: " : " keys: ")
        << counts[static_cast<int>(KeyState::compliant)] << " compliant, "
        << counts[static_cast<int>(KeyState::drift)] << " drift, "
        << counts[static_cast<int>(KeyState::error)] << " error";
    if (counts[static_cast<int>(KeyState::repaired)] != 0) {
        out << ", " << counts[static_cast<int>(KeyState::repaired)] << " repaired";
    }
    if (counts[static_cast<int>(KeyState::flapping)] != 0) {
        out << ", " << counts[static_cast<int>(KeyState::flapping)] << " flapping";
    }
    if (counts[static_cast<int>(KeyState::absent)] != 0) {
        out << ", " << counts[static_cast<int>(KeyState::absent)]
            << " absent (checkpoints not on this node yet)";
    }
    out << "\n";
    return out.str();
}

}  // namespace permwatch
