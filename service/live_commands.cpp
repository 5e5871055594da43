#include "service/live_commands.hpp"

#include <ostream>

#include "core/journal_reader.hpp"
#include "core/key_report.hpp"
#include "core/repair_plan.hpp"
#include "core/sddl.hpp"
#include "core/snapshot.hpp"
#include "core/trusted_config.hpp"
#include "service/accounts_adapter.hpp"
#include "service/console_runner.hpp"
#include "service/data_folder.hpp"
#include "service/file_journal.hpp"
#include "service/file_security.hpp"
#include "service/registry_adapter.hpp"
#include "service/service_install.hpp"
#include "service/service_main.hpp"
#include "service/status_client.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

int fail_line(std::ostream& err, const std::string& message) {
    err << "permwatch: " << message << "\n";
    return 2;
}

// Reads one key and checks it; a key that cannot be read is an error report.
KeyReport check_live(const KeyPolicy& key, RegistryPort& registry, AccountResolver& accounts) {
    const KeyRead read = registry.read(key.path);
    switch (read.status) {
        case KeyRead::Status::ok:
            return check_key(key, &read.sd, accounts);
        case KeyRead::Status::missing:
            return check_key(key, nullptr, accounts);
        case KeyRead::Status::error:
            break;
    }
    return key_error(key, FindingKind::read_failed, read.error);
}

void print(const std::vector<KeyReport>& reports, bool json, std::ostream& out) {
    if (json) {
        out << to_json(reports).dump(2) << "\n";
    } else {
        out << to_text(reports);
    }
}

int check(const CliOptions& o, std::ostream& out, std::ostream& err) {
    Win32FileSecurity files;
    const auto config = load_trusted_config_file(o.config_path, err, &files);
    if (!config) return 2;
    Win32Registry registry;
    Win32Accounts accounts;
    std::vector<KeyReport> reports;
    for (const KeyPolicy& key : config->keys)
        reports.push_back(check_live(key, registry, accounts));
    print(reports, o.json, out);
    return check_exit_code(reports);
}

// Journals, then writes, then reads back. Returns the report after the write.
KeyReport apply(const KeyPolicy& key, const KeyReport& before, Journal& journal,
                RegistryPort& registry, AccountResolver& accounts, const std::string& reason,
                std::ostream& err) {
    JournalEntry entry{"",           format_utc(std::chrono::system_clock::now()),
                       key.path,     reason,
                       *before.sddl, *before.planned_sddl};
    if (auto error = journal.append(entry)) {
        err << "permwatch: " << key.path << " not repaired: " << *error << "\n";
        KeyReport r = before;
        r.state = KeyState::error;
        return r;
    }
    const KeyWrite write = registry.write_dacl(key.path, *parse_sddl(*before.planned_sddl).dacl);
    if (!write.ok) {
        err << "permwatch: " << write.error << "\n";
        KeyReport r = before;
        r.state = KeyState::error;
        return r;
    }
    KeyReport after = check_live(key, registry, accounts);
    if (after.state == KeyState::compliant) after.state = KeyState::repaired;
    return after;
}

int repair(const CliOptions& o, std::ostream& out, std::ostream& err) {
    Win32FileSecurity files;
    const auto config = load_trusted_config_file(o.config_path, err, &files);
    if (!config) return 2;
    Win32Registry registry;
    Win32Accounts accounts;
    std::optional<FileJournal> journal;
    std::vector<KeyReport> reports;
    bool unrepaired = false;
    for (const KeyPolicy& key : config->keys) {
        KeyReport report = check_live(key, registry, accounts);
        if (report.planned_sddl && !o.dry_run) {
            if (!journal) {
                try {
                    ensure_data_folder_for(expand_environment(config->journal), files.self());
                    journal.emplace(expand_environment(config->journal));
                } catch (const Win32Error& e) {
                    return fail_line(err, e.what());
                }
            }
            report = apply(key, report, *journal, registry, accounts, "manual", err);
        }
        // A dry run leaves keys as they are; the exit code is the real run's.
        const bool fixed = report.state == KeyState::compliant ||
                           report.state == KeyState::repaired ||
                           (o.dry_run && report.planned_sddl && report.blockers.empty());
        unrepaired = unrepaired || !fixed;
        reports.push_back(std::move(report));
    }
    print(reports, o.json, out);
    const bool any_error = std::any_of(reports.begin(), reports.end(), [](const KeyReport& r) {
        return r.state == KeyState::error;
    });
    return any_error ? 2 : unrepaired ? 1 : 0;
}

int export_keys(const CliOptions& o, std::ostream& out, std::ostream& err) {
    if (o.keys.empty()) return fail_line(err, "export needs at least one --key K");
    Win32Registry registry;
    std::vector<std::pair<std::string, std::string>> keys;
    for (const std::string& path : o.keys) {
        if (!normalize_key_path(path)) {
            return fail_line(
                err, "--key " + path + ": expected a key under HKLM\\ or HKEY_LOCAL_MACHINE\\");
        }
        const KeyRead read = registry.read(path);
        if (read.status != KeyRead::Status::ok) return fail_line(err, read.error);
        keys.emplace_back(path, format_sddl(read.sd));
    }
    out << format_snapshot(keys);
    return 0;
}

int rollback(const CliOptions& o, std::ostream& out, std::ostream& err) {
    Win32FileSecurity files;
    const auto config = load_trusted_config_file(o.config_path, err, &files);
    if (!config) return 2;
    const std::string path = expand_environment(config->journal);
    // The live journal and its rotated files (.1 ... .5), each judged like
    // the live one before it is read.
    const JournalRead read = read_journal_across_files(path, read_existing_file, &files);
    if (read.refused) return fail_line(err, *read.refused);
    const JournalContents& contents = read.contents;
    for (const std::string& w : contents.warnings) err << "permwatch: warning: " << w << "\n";
    const std::optional<std::string> key =
        o.keys.empty() ? std::nullopt : std::optional(o.keys.front());
    std::vector<std::string> policy_keys;
    for (const KeyPolicy& k : config->keys) policy_keys.push_back(k.path);
    // Every target is parsed and checked (core) and read (here) before
    // anything is written: a problem with any one of them writes nothing.
    const RollbackPlan plan = plan_rollback(contents, policy_keys, o.to_id, key);
    if (!plan.error.empty()) return fail_line(err, plan.error + " (" + path + ")");
    Win32Registry registry;
    std::vector<std::string> current;
    for (const RollbackTarget& t : plan.targets) {
        const KeyRead now = registry.read(t.key);
        if (now.status != KeyRead::Status::ok)
            return fail_line(err, now.error + "; nothing was rolled back");
        current.push_back(format_sddl(now.sd));
    }
    std::optional<FileJournal> journal;
    try {
        ensure_data_folder_for(path, files.self());
        journal.emplace(path);
    } catch (const Win32Error& e) {
        return fail_line(err, e.what());
    }
    int code = 0;
    for (std::size_t i = 0; i < plan.targets.size(); ++i) {
        const RollbackTarget& t = plan.targets[i];
        JournalEntry entry{"",         format_utc(std::chrono::system_clock::now()),
                           t.key,      "rollback",
                           current[i], t.sddl};
        if (auto error = journal->append(entry)) {
            err << "permwatch: " << t.key << " not rolled back: " << *error << "\n";
            code = 2;
            continue;
        }
        // t.dacl is never a missing DACL made empty (core refuses that); a
        // null DACL stays null.
        const KeyWrite write = registry.write_dacl(t.key, t.dacl);
        if (!write.ok) {
            err << "permwatch: " << write.error << "\n";
            code = 2;
            continue;
        }
        out << t.key << ": restored the DACL recorded before journal entry " << t.from_id
            << " (journal entry " << entry.id << ")\n";
    }
    return code;
}

}  // namespace

std::optional<int> Win32LiveCommands::run(const CliOptions& o, std::ostream& out,
                                          std::ostream& err) {
    if (o.command == "check") return check(o, out, err);
    if (o.command == "repair") return repair(o, out, err);
    if (o.command == "export") return export_keys(o, out, err);
    if (o.command == "rollback") return rollback(o, out, err);
    if (o.command == "run" && o.console) return run_console(o, err);
    if (o.command == "run") return run_service(o, err);
    if (o.command == "install") return install_service(o, out, err);
    if (o.command == "uninstall") return uninstall_service(out, err);
    if (o.command == "status") return run_status(o, out, err);
    return std::nullopt;
}

}  // namespace permwatch::win
