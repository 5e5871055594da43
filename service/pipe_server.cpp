#include "service/pipe_server.hpp"

#include <windows.h>
// sddl.h needs windows.h first
#include <sddl.h>

#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <unordered_set>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>

#include "core/pipe_protocol.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// A request line may end in "\r\n"; neither counts toward max_request_bytes.
constexpr std::size_t kMaxBuffered = max_request_bytes + 2;
// The pipe's own buffers: one maximal request fits without blocking the client.
constexpr DWORD kPipeBufferBytes = 64 * 1024;
// What WaitNamedPipe(NMPWAIT_USE_DEFAULT_WAIT) waits for a free instance.
constexpr DWORD kDefaultWaitMs = 2000;

struct LocalFreeDeleter {
    void operator()(void* p) const { LocalFree(p); }
};

// Whether the client of this connected pipe is in Administrators. Impersonates
// on the calling (io) thread, which serves every connection, so it reverts
// before doing anything else. Anything that cannot be determined (a client
// that connected with SECURITY_ANONYMOUS, a failing call) is "not admin".
bool client_is_admin(HANDLE pipe) {
    if (!ImpersonateNamedPipeClient(pipe)) return false;
    HANDLE token = nullptr;
    // OpenAsSelf: open the token with our own rights, not the client's.
    const BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
    // A thread left running as the client would serve everyone with the
    // client's identity: Microsoft's rule is to end the process if reverting
    // fails.
    if (!RevertToSelf()) std::abort();
    if (!opened) return false;
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sid_size = sizeof sid;
    BOOL member = FALSE;
    const bool ok = CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid, &sid_size) &&
                    CheckTokenMembership(token, sid, &member);
    CloseHandle(token);
    return ok && member;
}

class Connection;

}  // namespace

struct PipeServer::Impl : std::enable_shared_from_this<PipeServer::Impl> {
    Impl(boost::asio::io_context& io_context, std::string name, Handler h, Options o)
        : io(io_context),
          pipe_name(std::move(name)),
          path(pipe_path(pipe_name)),
          handler(std::move(h)),
          options(std::move(o)),
          retry(io_context) {}

    // INVALID_HANDLE_VALUE and the error when the instance could not be made.
    HANDLE create_instance(bool first, DWORD& error) const;
    void ensure_listener();
    void closed(Connection& c, bool was_listening);
    void arm_retry();
    void report(const std::string& line) {
        if (options.on_error) options.on_error(line);
    }
    void stop();

    boost::asio::io_context& io;
    std::string pipe_name;
    std::wstring path;
    Handler handler;
    Options options;
    std::unique_ptr<void, LocalFreeDeleter> sd;
    SECURITY_ATTRIBUTES sa{};
    bool running = false;
    bool retry_armed = false;
    std::size_t listening = 0;
    // Every open instance, listening or connected.
    std::unordered_set<std::shared_ptr<Connection>> connections;
    boost::asio::steady_timer retry;
    PipeServerStats stats;
};

namespace {

// One pipe instance: waits for a client, then serves its lines until it
// leaves, idles, errs or sends a line that is too long.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(std::shared_ptr<PipeServer::Impl> server, boost::asio::windows::stream_handle pipe)
        : server_(std::move(server)), pipe_(std::move(pipe)), timer_(server_->io) {}

    void listen() {
        auto self = shared_from_this();
        boost::asio::windows::overlapped_ptr op(
            pipe_.get_executor(), [self](error_code ec, std::size_t) { self->on_connected(ec); });
        const BOOL done = ConnectNamedPipe(pipe_.native_handle(), op.get());
        const DWORD error = done ? ERROR_SUCCESS : GetLastError();
        if (done || error == ERROR_IO_PENDING) {
            op.release();  // the completion port delivers the result
        } else if (error == ERROR_PIPE_CONNECTED) {
            op.complete(error_code(), 0);  // connected before we asked: no packet comes
        } else {
            op.complete(
                error_code(static_cast<int>(error), boost::asio::error::get_system_category()), 0);
        }
    }

    // Idempotent; the server forgets this instance and opens another if needed.
    void close() {
        if (closed_) return;
        closed_ = true;
        auto self = shared_from_this();
        error_code ignored;
        timer_.cancel();
        pipe_.cancel(ignored);  // CancelIoEx: pending operations end with operation_aborted
        pipe_.close(ignored);
        server_->closed(*this, listening_);
    }

private:
    void on_connected(const error_code& ec) {
        if (closed_) return;
        listening_ = false;
        --server_->listening;
        if (ec) {
            // The client left before we saw it (ERROR_NO_DATA), or the
            // instance broke: this instance ends, another one listens.
            ++server_->stats.errors;
            server_->report("pipe " + server_->pipe_name + ": accepting a client: " + ec.message());
            close();
            return;
        }
        ++server_->stats.connections;
        server_->ensure_listener();
        touch();
        watch();
        read_line();
    }

    // The deadline moves on with each line; one timer wait per connection
    // (re-armed only when it fires early) keeps the per-request cost low.
    void touch() { deadline_ = Clock::now() + server_->options.idle_timeout; }

    void watch() {
        timer_.expires_at(deadline_);
        timer_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (ec || self->closed_) return;
            if (Clock::now() < self->deadline_) {
                self->watch();
                return;
            }
            ++self->server_->stats.timeouts;
            self->close();
        });
    }

    void read_line() {
        touch();
        boost::asio::async_read_until(
            pipe_, boost::asio::dynamic_buffer(in_, kMaxBuffered), '\n',
            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                self->on_read(ec, n);
            });
    }

    void on_read(const error_code& ec, std::size_t n) {
        if (closed_) return;
        if (ec == boost::asio::error::not_found) {
            // The buffer is full and holds no newline: over 64 KiB.
            too_long();
            return;
        }
        if (ec) {
            // eof / broken pipe: the client hung up, the usual end.
            close();
            return;
        }
        std::string line = in_.substr(0, n - 1);
        in_.erase(0, n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > max_request_bytes) {
            too_long();
            return;
        }
        // Once per connection, after the first line (a client must have
        // written before it can be impersonated).
        if (!admin_) admin_ = client_is_admin(pipe_.native_handle());
        std::string reply;
        try {
            reply = server_->handler(line, *admin_);
        } catch (const std::exception& e) {
            reply = pipe_error(std::string("internal error: ") + e.what());
        }
        if (closed_) return;  // the handler stopped the server
        ++server_->stats.requests;
        write(std::move(reply), false);
    }

    void too_long() {
        ++server_->stats.too_long;
        write(pipe_error("request too long"), true);
    }

    void write(std::string reply, bool close_after) {
        out_ = std::move(reply);
        out_ += '\n';
        touch();  // a client that never reads its replies idles out too
        boost::asio::async_write(
            pipe_, boost::asio::buffer(out_),
            [self = shared_from_this(), close_after](const error_code& ec, std::size_t) {
                if (self->closed_) return;
                if (ec || close_after) {
                    // Closing (not DisconnectNamedPipe) leaves the reply
                    // readable by the client.
                    self->close();
                    return;
                }
                self->read_line();
            });
    }

    std::shared_ptr<PipeServer::Impl> server_;
    boost::asio::windows::stream_handle pipe_;
    boost::asio::steady_timer timer_;
    Clock::time_point deadline_{};
    std::string in_;
    std::string out_;
    std::optional<bool> admin_;
    bool listening_ = true;
    bool closed_ = false;
};

}  // namespace

HANDLE PipeServer::Impl::create_instance(bool first, DWORD& error) const {
    // FIRST_PIPE_INSTANCE whenever we hold no instance: if the name exists
    // then, someone else made it, and we must not join their pipe.
    const DWORD open_mode =
        PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const DWORD pipe_mode =
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE h = CreateNamedPipeW(
        path.c_str(), open_mode, pipe_mode, static_cast<DWORD>(options.max_instances),
        kPipeBufferBytes, kPipeBufferBytes, kDefaultWaitMs, const_cast<SECURITY_ATTRIBUTES*>(&sa));
    error = h == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
    return h;
}

void PipeServer::Impl::ensure_listener() {
    if (!running || listening > 0 || connections.size() >= options.max_instances) return;
    DWORD error = ERROR_SUCCESS;
    HANDLE h = create_instance(connections.empty(), error);
    if (h == INVALID_HANDLE_VALUE) {
        ++stats.errors;
        report(describe("creating another instance of " + narrow(path), error));
        arm_retry();
        return;
    }
    boost::asio::windows::stream_handle pipe(io);
    error_code ec;
    pipe.assign(h, ec);
    if (ec) {
        CloseHandle(h);
        ++stats.errors;
        report("pipe " + pipe_name + ": attaching an instance to the io_context: " + ec.message());
        arm_retry();
        return;
    }
    auto c = std::make_shared<Connection>(shared_from_this(), std::move(pipe));
    connections.insert(c);
    ++listening;
    c->listen();
}

void PipeServer::Impl::closed(Connection& c, bool was_listening) {
    if (was_listening) --listening;
    for (auto it = connections.begin(); it != connections.end(); ++it) {
        if (it->get() == &c) {
            connections.erase(it);
            break;
        }
    }
    ensure_listener();
}

void PipeServer::Impl::arm_retry() {
    if (retry_armed || !running) return;
    retry_armed = true;
    retry.expires_after(std::chrono::milliseconds(250));
    retry.async_wait([self = shared_from_this()](const error_code& ec) {
        self->retry_armed = false;
        if (!ec) self->ensure_listener();
    });
}

void PipeServer::Impl::stop() {
    running = false;
    retry.cancel();
    const auto all = connections;
    for (const auto& c : all) c->close();
    connections.clear();
    listening = 0;
}

std::wstring pipe_path(const std::string& pipe_name) { return L"\\\\.\\pipe\\" + widen(pipe_name); }

PipeServer::PipeServer(boost::asio::io_context& io, std::string pipe_name, Handler handler,
                       Options options)
    : impl_(std::make_shared<Impl>(io, std::move(pipe_name), std::move(handler),
                                   std::move(options))) {
    // 255 is PIPE_UNLIMITED_INSTANCES, which is not a bound.
    if (impl_->options.max_instances < 1 || impl_->options.max_instances > 254) {
        throw std::invalid_argument("pipe " + impl_->pipe_name + ": max_instances must be 1..254");
    }
}

PipeServer::~PipeServer() { impl_->stop(); }

void PipeServer::start() {
    Impl& s = *impl_;
    if (s.running) return;
    if (!s.sd) {
        PSECURITY_DESCRIPTOR sd = nullptr;
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(kPipeSddl, SDDL_REVISION_1, &sd,
                                                                  nullptr)) {
            throw Win32Error("building the security descriptor of " + narrow(s.path),
                             GetLastError());
        }
        s.sd.reset(sd);
        s.sa.nLength = sizeof s.sa;
        s.sa.lpSecurityDescriptor = sd;
        s.sa.bInheritHandle = FALSE;
    }
    // Wine 8.0 ignores FILE_FLAG_FIRST_PIPE_INSTANCE (docs/testing.md (p)):
    // ask first whether the name is served. WaitNamedPipe says "not found"
    // only when no instance of that name exists. On Windows the flag below
    // also closes the window between this check and the create.
    if (WaitNamedPipeW(s.path.c_str(), 1) || GetLastError() != ERROR_FILE_NOT_FOUND) {
        throw Win32Error("creating the pipe " + narrow(s.path) +
                             " (another PermWatch, or another process, already serves that name)",
                         ERROR_ALREADY_EXISTS);
    }
    DWORD error = ERROR_SUCCESS;
    HANDLE h = s.create_instance(true, error);
    if (h == INVALID_HANDLE_VALUE) {
        std::string doing = "creating the pipe " + narrow(s.path);
        if (error == ERROR_ACCESS_DENIED) {
            doing += " (another PermWatch, or another process, already has that name)";
        }
        throw Win32Error(doing, error);
    }
    boost::asio::windows::stream_handle pipe(s.io);
    error_code ec;
    pipe.assign(h, ec);
    if (ec) {
        CloseHandle(h);
        throw Win32Error("attaching " + narrow(s.path) + " to the io_context",
                         static_cast<unsigned long>(ec.value()));
    }
    s.running = true;
    auto c = std::make_shared<Connection>(impl_, std::move(pipe));
    s.connections.insert(c);
    ++s.listening;
    c->listen();
}

void PipeServer::stop() { impl_->stop(); }

const std::wstring& PipeServer::path() const { return impl_->path; }

PipeServerStats PipeServer::stats() const { return impl_->stats; }

}  // namespace permwatch::win
