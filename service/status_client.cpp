#include "service/status_client.hpp"

#include <windows.h>

#include <memory>
#include <ostream>
#include <sstream>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/pipe/pipe_trust.hpp"
#include "core/pipe/status_format.hpp"
#include "service/pipe_server.hpp"
#include "service/process_account.hpp"
#include "service/service_main.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxReplyBytes = 16 * 1024 * 1024;

DWORD ms_left(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<DWORD>(left) : 0;
}

// One overlapped read or write that must finish within `wait_ms`; on timeout
// the operation is cancelled (and waited for: the OVERLAPPED lives here).
// Returns the Win32 error, WAIT_TIMEOUT on timeout.
DWORD transfer(HANDLE pipe, HANDLE event, bool writing, void* data, DWORD size, DWORD wait_ms,
               DWORD& done) {
    OVERLAPPED ov{};
    ov.hEvent = event;
    done = 0;
    const BOOL ok = writing ? WriteFile(pipe, data, size, nullptr, &ov)
                            : ReadFile(pipe, data, size, nullptr, &ov);
    if (!ok) {
        const DWORD error = GetLastError();
        if (error != ERROR_IO_PENDING) return error;
        if (WaitForSingleObject(event, wait_ms) != WAIT_OBJECT_0) {
            CancelIoEx(pipe, &ov);
            GetOverlappedResult(pipe, &ov, &done, TRUE);
            return WAIT_TIMEOUT;
        }
    }
    if (!GetOverlappedResult(pipe, &ov, &done, TRUE)) return GetLastError();
    return ERROR_SUCCESS;
}

// The image of process `pid`, or nullopt and why not.
std::optional<std::string> image_of(std::uint32_t pid, std::string& error) {
    UniqueKernelHandle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) {
        error = describe("opening the process", GetLastError());
        return std::nullopt;
    }
    std::wstring buf(32768, L'\0');
    DWORD size = static_cast<DWORD>(buf.size());
    if (!QueryFullProcessImageNameW(process.get(), 0, buf.data(), &size)) {
        error = describe("reading its image name", GetLastError());
        return std::nullopt;
    }
    buf.resize(size);
    try {
        return narrow(buf);
    } catch (const InvalidText& e) {
        // Such a path cannot be the service's: not believed.
        error = std::string("reading its image name: ") + e.what();
        return std::nullopt;
    }
}

std::string own_image() {
    std::wstring buf(32768, L'\0');
    const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
    buf.resize(n);
    return narrow(buf);
}

// The PermWatch service's pid when it runs, and (only when asked, as it costs
// two more calls to the SCM) its registered image. A service that is not
// installed, or that we may not query, gives neither.
void service_facts(PipeServerFacts& f, bool want_image) {
    const UniqueServiceHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!scm) return;
    const UniqueServiceHandle service(
        OpenServiceW(scm.get(), kServiceName, SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG));
    if (!service) return;
    SERVICE_STATUS_PROCESS st{};
    DWORD needed = 0;
    if (QueryServiceStatusEx(service.get(), SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st),
                             sizeof st, &needed) &&
        st.dwCurrentState != SERVICE_STOPPED && st.dwProcessId != 0) {
        f.service_pid = st.dwProcessId;
    }
    if (!want_image || f.service_pid) return;
    needed = 0;
    QueryServiceConfigW(service.get(), nullptr, 0, &needed);
    if (needed == 0) return;
    std::vector<BYTE> buf(needed);
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data());
    if (QueryServiceConfigW(service.get(), config, needed, &needed) && config->lpBinaryPathName) {
        f.service_image = image_of_command_line(narrow(config->lpBinaryPathName));
    }
}

}  // namespace

std::optional<std::string> check_pipe_server(const std::string& where, std::uint32_t server_pid) {
    PipeServerFacts f;
    f.server_pid = server_pid;
    service_facts(f, false);
    if (f.service_pid) return untrusted_pipe_server(where, f);
    // Console mode: the server's image; the service's registered image is
    // only looked up when the client's own does not match (fewer SCM calls
    // on the usual path, which matters when the machine is being flooded).
    f.server_image = image_of(server_pid, f.server_image_error);
    f.own_image = own_image();
    // PermWatch's own image is not enough: who runs it (core/pipe/pipe_trust.hpp).
    f.server_account = account_of_process(server_pid, f.server_account_error);
    if (!untrusted_pipe_server(where, f)) return std::nullopt;
    service_facts(f, true);
    return untrusted_pipe_server(where, f);
}

PipeExchange ask_pipe(const std::string& pipe_name, const std::string& request,
                      std::chrono::milliseconds connect_timeout,
                      std::chrono::milliseconds io_timeout, const ServerCheck& check) {
    PipeExchange x;
    const std::wstring path = L"\\\\.\\pipe\\" + widen(pipe_name);
    const std::string where = "\\\\.\\pipe\\" + pipe_name;
    const auto connect_deadline = Clock::now() + connect_timeout;
    UniqueKernelHandle pipe;
    for (;;) {
        // SECURITY_IDENTIFICATION: the service may learn who we are (to allow
        // check/reload to administrators), never act as us.
        HANDLE h = CreateFileW(
            path.c_str(), GENERIC_READ | FILE_WRITE_DATA, 0, nullptr, OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
        if (h != INVALID_HANDLE_VALUE) {
            pipe.reset(h);
            break;
        }
        const DWORD error = GetLastError();
        if (error == ERROR_FILE_NOT_FOUND) {
            x.result = PipeExchange::Result::no_pipe;
            return x;
        }
        if (error != ERROR_PIPE_BUSY) {
            x.error = describe("opening " + where, error);
            return x;
        }
        const DWORD left = ms_left(connect_deadline);
        // WaitNamedPipe fails at once when the pipe went away meanwhile;
        // CreateFile then says which.
        if (left == 0 ||
            (!WaitNamedPipeW(path.c_str(), left) && GetLastError() == ERROR_SEM_TIMEOUT)) {
            x.result = PipeExchange::Result::busy;
            return x;
        }
    }

    if (check) {
        // Before a byte is sent: a squatter learns nothing, not even that
        // someone asked.
        ULONG server_pid = 0;
        if (!GetNamedPipeServerProcessId(pipe.get(), &server_pid)) {
            x.error = describe("asking who serves " + where, GetLastError());
            return x;
        }
        if (auto why = check(server_pid)) {
            x.result = PipeExchange::Result::untrusted;
            x.error = std::move(*why);
            return x;
        }
    }

    UniqueKernelHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!event) {
        x.error = describe("creating an event", GetLastError());
        return x;
    }
    const auto io_deadline = Clock::now() + io_timeout;
    std::string line = request + "\n";
    DWORD done = 0;
    for (std::size_t sent = 0; sent < line.size(); sent += done) {
        const DWORD error =
            transfer(pipe.get(), event.get(), true, line.data() + sent,
                     static_cast<DWORD>(line.size() - sent), ms_left(io_deadline), done);
        if (error != ERROR_SUCCESS) {
            x.error = error == WAIT_TIMEOUT ? "writing to " + where + ": no progress for " +
                                                  std::to_string(io_timeout.count()) + " ms"
                                            : describe("writing to " + where, error);
            return x;
        }
    }

    std::string reply;
    char buf[4096];
    for (;;) {
        const auto nl = reply.find('\n');
        if (nl != std::string::npos) {
            reply.resize(nl);
            if (!reply.empty() && reply.back() == '\r') reply.pop_back();
            x.result = PipeExchange::Result::ok;
            x.reply = std::move(reply);
            return x;
        }
        if (reply.size() > kMaxReplyBytes) {
            x.error = "reading from " + where + ": reply over 16 MiB without a newline";
            return x;
        }
        const DWORD error =
            transfer(pipe.get(), event.get(), false, buf, sizeof buf, ms_left(io_deadline), done);
        if (error == ERROR_MORE_DATA || error == ERROR_SUCCESS) {
            if (error == ERROR_SUCCESS && done == 0) continue;
            reply.append(buf, done);
            continue;
        }
        x.error = error == WAIT_TIMEOUT ? "reading from " + where + ": no reply within " +
                                              std::to_string(io_timeout.count()) + " ms"
                  : error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED
                      ? "reading from " + where + ": the service closed the connection"
                      : describe("reading from " + where, error);
        return x;
    }
}

PipeExchange ask_status(const std::string& pipe_name) {
    const std::string request = R"({"cmd":"status"})";
    const std::string admin_name = pipe_name + kAdminPipeSuffix;
    const std::string admin_where = "\\\\.\\pipe\\" + admin_name;
    PipeExchange x = ask_pipe(
        admin_name, request, std::chrono::milliseconds(500), std::chrono::seconds(10),
        [&](std::uint32_t server_pid) { return check_pipe_server(admin_where, server_pid); });
    if (x.result == PipeExchange::Result::untrusted) return x;
    if (x.result == PipeExchange::Result::ok) {
        const auto reply = nlohmann::json::parse(x.reply, nullptr, false);
        if (reply.is_object() && reply.value("ok", false) == true) return x;
    }
    // Not an administrator (access denied on Windows, refused where the DACL
    // is not enforced), both admin instances busy, or a PermWatch without
    // that door: the public name, whatever it says.
    const std::string where = "\\\\.\\pipe\\" + pipe_name;
    return ask_pipe(
        pipe_name, request, std::chrono::seconds(2), std::chrono::seconds(10),
        [&where](std::uint32_t server_pid) { return check_pipe_server(where, server_pid); });
}

int run_status(const CliOptions& options, std::ostream& out, std::ostream& err) {
    std::string pipe_name = "permwatch";
    {
        // A config that does not load is no reason to refuse: the service
        // may well run with the default pipe name. Its problems are not ours
        // to print here (`permwatch validate` does).
        if (const auto config = load_config_file(options.config_path).config)
            pipe_name = config->pipe;
    }
    const std::string where = "\\\\.\\pipe\\" + pipe_name;
    const PipeExchange x = ask_status(pipe_name);
    switch (x.result) {
        case PipeExchange::Result::ok:
            break;
        case PipeExchange::Result::no_pipe:
            err << "permwatch: the PermWatch service is not running (no pipe " << where << ")\n";
            return 4;
        case PipeExchange::Result::busy:
            err << "permwatch: the PermWatch service is not answering (every instance of " << where
                << " stayed busy for 2 s)\n";
            return 4;
        case PipeExchange::Result::untrusted:
            err << "permwatch: " << x.error << "\n";
            return 4;
        case PipeExchange::Result::failed:
            err << "permwatch: cannot ask the PermWatch service: " << x.error << "\n";
            return 4;
    }
    nlohmann::ordered_json reply;
    try {
        reply = nlohmann::ordered_json::parse(x.reply);
    } catch (const nlohmann::json::exception&) {
        err << "permwatch: the PermWatch service sent a reply that is not JSON on " << where
            << "\n";
        return 4;
    }
    if (!reply.is_object() || reply.value("ok", false) != true) {
        const std::string why =
            reply.is_object() && reply.contains("error") && reply["error"].is_string()
                ? reply["error"].get<std::string>()
                : "no \"ok\":true";
        err << "permwatch: the PermWatch service refused the status request: " << why << "\n";
        return 4;
    }
    if (options.json) {
        out << reply.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        out << format_status_table(nlohmann::json::parse(x.reply));
    }
    return 0;
}

}  // namespace permwatch::win
