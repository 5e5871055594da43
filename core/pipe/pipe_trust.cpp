#include "core/pipe/pipe_trust.hpp"

#include "core/common/ascii.hpp"

namespace permwatch {

namespace {

char fold(char c) { return c == '/' ? '\\' : ascii_upper(c); }

}  // namespace

bool same_image(std::string_view a, std::string_view b) {
    if (a.empty() || a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (fold(a[i]) != fold(b[i])) return false;
    }
    return true;
}

std::string image_of_command_line(std::string_view line) {
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!line.empty() && line.front() == '"') {
        const auto end = line.find('"', 1);
        return std::string(line.substr(1, end == std::string_view::npos ? end : end - 1));
    }
    for (std::size_t at = 0; at + 4 <= line.size(); ++at) {
        if (iequals(line.substr(at, 4), ".exe") && (at + 4 == line.size() || line[at + 4] == ' ')) {
            return std::string(line.substr(0, at + 4));
        }
    }
    const auto space = line.find(' ');
    return std::string(line.substr(0, space));
}

bool runs_with_administrator_power(const ProcessAccount& account) {
    return account.user == local_system_sid() || (account.elevated && account.administrators);
}

std::optional<std::string> untrusted_pipe_server(std::string_view pipe_path,
                                                 const PipeServerFacts& f) {
    bool trusted = false;
    if (f.service_pid) {
        trusted = f.server_pid == *f.service_pid;
    } else if (f.server_image) {
        trusted = same_image(*f.server_image, f.own_image) ||
                  (f.service_image && same_image(*f.server_image, *f.service_image));
        // PermWatch's own code, but run by whom?
        if (trusted && !(f.server_account && runs_with_administrator_power(*f.server_account))) {
            std::string who;
            if (!f.server_account) {
                who = "account unknown: " + f.server_account_error;
            } else {
                const ProcessAccount& a = *f.server_account;
                who = "account " + a.user_name;
                if (a.user_name != a.user.str()) who += " (" + a.user.str() + ")";
                who +=
                    a.administrators ? ", an administrator not elevated" : ", not an administrator";
            }
            return std::string(pipe_path) + " is served by pid " + std::to_string(f.server_pid) +
                   " (image " + *f.server_image + ", " + who +
                   "), not by the PermWatch service, SYSTEM or an elevated administrator";
        }
    }
    if (trusted) return std::nullopt;
    std::string line = std::string(pipe_path) + " is not PermWatch (pid " +
                       std::to_string(f.server_pid) + ", image " +
                       (f.server_image ? *f.server_image : "unknown: " + f.server_image_error);
    if (f.service_pid) line += "; the PermWatch service is pid " + std::to_string(*f.service_pid);
    return line + ")";
}

}  // namespace permwatch
