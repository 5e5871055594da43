#include "service/live_commands.hpp"

#include <chrono>
#include <ostream>

#include "core/check/key_report.hpp"
#include "core/check/snapshot.hpp"
#include "core/cli/init_config.hpp"
#include "core/cluster/auto_keys.hpp"
#include "core/cluster/cluster_commands.hpp"
#include "core/engine/one_shot_repair.hpp"
#include "core/engine/one_shot_rollback.hpp"
#include "core/journal/journal_reader.hpp"
#include "core/policy/trusted_config.hpp"
#include "core/security/key_path.hpp"
#include "core/security/sddl.hpp"
#include "service/accounts_adapter.hpp"
#include "service/cluster_adapter.hpp"
#include "service/cluster_database.hpp"
#include "service/console_runner.hpp"
#include "service/data_folder.hpp"
#include "service/file_journal.hpp"
#include "service/file_security.hpp"
#include "service/registry_adapter.hpp"
#include "service/service_install.hpp"
#include "service/service_main.hpp"
#include "service/status_client.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

int fail_line(std::ostream& err, const std::string& message) {
    err << "permwatch: " << message << "\n";
    return 2;
}

void print(const std::vector<KeyReport>& reports, bool json, std::ostream& out) {
    if (json) {
        out << to_json(reports).dump(2) << "\n";
    } else {
        out << to_text(reports);
    }
}

// What the cluster says of its registry checkpoints, asked once by a one-shot
// command.
struct ClusterCheckpoints {
    bool available = false;
    std::string why_not;  // unless available
    std::string cluster_name;
    std::string node;
    std::vector<Checkpoint> checkpoints;
    std::vector<UnreadCheckpoints> unread;
    std::vector<ResourceFacts> facts;
    std::vector<std::string> told;  // what the adapter did not follow
};

ClusterCheckpoints read_cluster_checkpoints() {
    ClusterCheckpoints out;
    Win32Cluster cluster;
    cluster.on_error([&](const std::string& line) { out.told.push_back(line); });
    if (!cluster.connect([](const ClusterEvent&) {})) {
        out.why_not = cluster.why_unavailable();
        return out;
    }
    out.available = true;
    out.checkpoints = cluster.checkpoints();
    out.unread = cluster.unread_checkpoints();
    out.facts = cluster.resource_facts();
    out.cluster_name = cluster.cluster_name();
    out.node = cluster.node_name();
    cluster.disconnect();
    return out;
}

// A config with "keys": "auto" gets the keys the cluster's checkpoints make,
// as the service's would; what could not be learned is said on stderr.
Config with_learned_keys(Config config, std::ostream& err) {
    if (!config.auto_keys.enabled) return config;
    const ClusterCheckpoints c = read_cluster_checkpoints();
    for (const std::string& line : c.told) err << "permwatch: warning: " << line << "\n";
    if (!c.available) {
        err << "permwatch: warning: no cluster here (" << c.why_not << "): \"auto\" adds no key\n";
        return config;
    }
    for (const UnreadCheckpoints& u : c.unread) {
        err << "permwatch: warning: the checkpoints of resource " << u.resource
            << " cannot be read: " << u.why << "\n";
    }
    return with_auto_keys(std::move(config), c.checkpoints, c.facts);
}

// A one-shot command's config: judged trusted, read, and its "auto" keys
// learned from the cluster; nullopt when it is refused (the reason is on err).
std::optional<Config> one_shot_config(const CliOptions& o, Win32FileSecurity& files,
                                      std::ostream& err) {
    auto config = load_trusted_config_file(o.config_path, err, &files);
    if (!config) return std::nullopt;
    return with_learned_keys(std::move(*config), err);
}

int check(const CliOptions& o, std::ostream& out, std::ostream& err) {
    Win32FileSecurity files;
    const auto config = one_shot_config(o, files, err);
    if (!config) return 2;
    Win32Registry registry;
    Win32Accounts accounts;
    std::vector<KeyReport> reports;
    for (const KeyPolicy& key : config->keys)
        reports.push_back(check_read(key, registry.read(key.path), accounts));
    print(reports, o.json, out);
    return check_exit_code(reports);
}

// The journal of a one-shot `repair`, opened (and its folder made) only when
// the first key needs a write: a check that finds nothing leaves no file.
class JournalOnFirstAppend final : public Journal {
public:
    JournalOnFirstAppend(std::string path, std::optional<Sid> self, std::int64_t max_bytes)
        : path_(std::move(path)), self_(std::move(self)), max_bytes_(max_bytes) {}

    std::optional<std::string> append(JournalEntry& entry) override {
        if (!journal_ && !open_error_) {
            try {
                ensure_data_folder_for(path_, self_);
                journal_.emplace(path_, FileJournal::FlushFailed{}, max_bytes_);
            } catch (const Win32Error& e) {
                open_error_ = e.what();
            }
        }
        if (open_error_) return open_error_;
        return journal_->append(entry);
    }

private:
    std::string path_;
    std::optional<Sid> self_;
    std::int64_t max_bytes_;
    std::optional<std::string> open_error_;
    std::optional<FileJournal> journal_;  // its destructor waits for the last flush
};

int repair(const CliOptions& o, std::ostream& out, std::ostream& err) {
    Win32FileSecurity files;
    const auto config = one_shot_config(o, files, err);
    if (!config) return 2;
    Win32Registry registry;
    Win32Accounts accounts;
    JournalOnFirstAppend journal(expand_environment(config->journal), files.self(),
                                 config->journal_max_bytes);
    SystemClock clock;
    const RepairRun run =
        repair_keys(config->keys, o.dry_run, registry, accounts, journal, clock, err);
    print(run.reports, o.json, out);
    return run.exit_code;
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
    const auto config = one_shot_config(o, files, err);
    if (!config) return 2;
    const std::string path = expand_environment(config->journal);
    // The live journal and its rotated files (.1 ... .5), each judged like
    // the live one before it is read.
    const JournalRead read = read_journal_across_files(path, read_existing_file, &files);
    if (read.refused) return fail_line(err, *read.refused);
    const JournalContents& contents = read.contents;
    for (const std::string& w : contents.warnings) err << "permwatch: warning: " << w << "\n";
    std::vector<std::string> policy_keys;
    for (const KeyPolicy& k : config->keys) policy_keys.push_back(k.path);
    // Every target is parsed, checked and read before anything is written: a
    // problem with any one of them writes nothing.
    const RollbackPlan plan = plan_rollback_of_keys(contents, policy_keys, o.to_id, o.keys);
    if (!plan.error.empty()) return fail_line(err, plan.error + " (" + path + ")");
    Win32Registry registry;
    if (auto unreadable = unreadable_rollback_target(registry, plan))
        return fail_line(err, *unreadable);
    std::optional<FileJournal> journal;
    try {
        ensure_data_folder_for(path, files.self());
        journal.emplace(path, FileJournal::FlushFailed{}, config->journal_max_bytes);
    } catch (const Win32Error& e) {
        return fail_line(err, e.what());
    }
    SystemClock clock;
    return apply_rollback(plan, registry, *journal, clock, out, err);
}

// Writes `text` to a new file `path` (replacing one only with `force`), by
// its UTF-16 name, and flushes it: a config half on disk would be read as a
// bad one.
std::optional<std::string> write_new_file(const std::string& path, const std::string& text,
                                          bool force) {
    UniqueKernelHandle file(CreateFileW(widen(path).c_str(), GENERIC_WRITE, 0, nullptr,
                                        force ? CREATE_ALWAYS : CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                                        nullptr));
    if (!file) {
        const DWORD rc = GetLastError();
        if (rc == ERROR_FILE_EXISTS) return path + " exists; --force replaces it";
        return describe("creating " + path, rc);
    }
    DWORD written = 0;
    if (!WriteFile(file.get(), text.data(), static_cast<DWORD>(text.size()), &written, nullptr) ||
        written != text.size() || !FlushFileBuffers(file.get())) {
        return describe("writing " + path, GetLastError());
    }
    return std::nullopt;
}

int init_config(const CliOptions& o, std::ostream& out, std::ostream& err) {
    const ClusterCheckpoints c = read_cluster_checkpoints();
    if (!c.available) {
        err << "permwatch: no cluster here: " << c.why_not << "\n";
        return 4;
    }
    for (const std::string& line : c.told) err << "permwatch: " << line << "\n";
    // A list with holes would be reviewed as the whole list: none is written.
    if (!c.unread.empty()) {
        for (const UnreadCheckpoints& u : c.unread) {
            err << "permwatch: the checkpoints of resource " << u.resource
                << " cannot be read: " << u.why << "\n";
        }
        return fail_line(err, "no config written: the cluster's checkpoints are not all known");
    }
    const InitConfig init = make_init_config(c.checkpoints, c.facts, o.cluster, c.cluster_name,
                                             c.node, format_utc(std::chrono::system_clock::now()));
    if (!init.errors.empty()) {
        for (std::size_t i = 0; i + 1 < init.errors.size(); ++i)
            err << "permwatch: " << init.errors[i] << "\n";
        return fail_line(err, init.errors.back());
    }
    if (!o.out) {
        out << init.text;
        return 0;
    }
    if (const auto problem = write_new_file(*o.out, init.text, o.force))
        return fail_line(err, *problem);
    out << "wrote " << init.keys << (init.keys == 1 ? " key" : " keys") << " to " << *o.out << "\n";
    return 0;
}

}  // namespace

std::optional<int> Win32LiveCommands::run(const CliOptions& o, std::ostream& out,
                                          std::ostream& err) {
    switch (o.command) {
        case Command::check:
            // --cluster: no config, every node's summary from the cluster
            // database. check --snapshot never reaches here (core runs it).
            if (o.cluster) {
                Win32ClusterView view;
                return run_cluster_check(view, o.group, o.json, out, err,
                                         std::chrono::system_clock::now());
            }
            return check(o, out, err);
        case Command::status:
            if (o.cluster) {
                Win32ClusterView view;
                return run_cluster_status(view, o.json, out, err, std::chrono::system_clock::now());
            }
            return run_status(o, out, err);
        case Command::repair:
            return repair(o, out, err);
        case Command::export_keys:
            return export_keys(o, out, err);
        case Command::rollback:
            return rollback(o, out, err);
        case Command::run:
            return o.console ? run_console(o, err) : run_service(o, err);
        case Command::install:
            return install_service(o, out, err);
        case Command::uninstall:
            return uninstall_service(out, err);
        case Command::init:
            return init_config(o, out, err);
        case Command::validate:  // core's own: no registry needed
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace permwatch::win
