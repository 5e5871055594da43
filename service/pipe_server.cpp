#include "service/pipe_server.hpp"

#include <windows.h>
// sddl.h needs windows.h first
#include <sddl.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <vector>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>

#include "core/pipe/pipe_admission.hpp"
#include "core/pipe/pipe_protocol.hpp"
#include "service/unique_handle.hpp"
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

// Whether the client of this connected pipe is in Administrators. Impersonates
// on the calling (io) thread, which serves every connection, so it reverts
// before doing anything else. Anything that cannot be determined (a client
// that connected with SECURITY_ANONYMOUS, a failing call) is "not admin".
bool client_is_admin(HANDLE pipe) {
    if (!ImpersonateNamedPipeClient(pipe)) return false;
    HANDLE raw = nullptr;
    // OpenAsSelf: open the token with our own rights, not the client's.
    const BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &raw);
    // A thread left running as the client would serve everyone with the
    // client's identity: Microsoft's rule is to end the process if reverting
    // fails.
    if (!RevertToSelf()) std::abort();
    if (!opened) return false;
    const UniqueKernelHandle token(raw);
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sid_size = sizeof sid;
    BOOL member = FALSE;
    const bool ok = CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid, &sid_size) &&
                    CheckTokenMembership(token.get(), sid, &member);
    return ok && member;
}

// Whether client process `pid`'s primary token is in Administrators: the test
// for the reserved instance, made at connect, before the client has written
// (impersonation needs a byte read first on Windows: error 1368). The service
// runs as SYSTEM, which may open any ordinary process's token. Anything that
// cannot be determined is "not admin".
bool process_token_is_admin(std::uint32_t pid) {
    UniqueKernelHandle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) return false;
    HANDLE raw = nullptr;
    if (!OpenProcessToken(process.get(), TOKEN_QUERY | TOKEN_DUPLICATE, &raw)) return false;
    UniqueKernelHandle token(raw);
    // CheckTokenMembership wants an impersonation token.
    HANDLE dup = nullptr;
    if (!DuplicateToken(token.get(), SecurityIdentification, &dup)) return false;
    UniqueKernelHandle identification(dup);
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sid_size = sizeof sid;
    BOOL member = FALSE;
    return CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid, &sid_size) &&
           CheckTokenMembership(identification.get(), sid, &member) && member;
}

}  // namespace

struct PipeServer::Impl : std::enable_shared_from_this<PipeServer::Impl> {
    class Instance;

    Impl(boost::asio::io_context& io_context, std::string name, Handler h, Options o)
        : io(io_context),
          pipe_name(std::move(name)),
          path(pipe_path(pipe_name)),
          handler(std::move(h)),
          options(std::move(o)),
          admission(
              PipeLimits{options.max_instances, options.reserved_for_admins, options.per_process}),
          retry(io_context) {
        public_door.path = path;
        public_door.instances = options.max_instances;
        admin_door.path = admin_pipe_path(pipe_name);
        admin_door.admin_only = true;
        admin_door.instances = options.admin_instances;
    }

    // One pipe name and its instances: the public door (kPipeSddl, the
    // admission rules) or the administrators' door (kAdminPipeSddl).
    struct Door {
        std::wstring path;
        bool admin_only = false;
        std::size_t instances = 0;
        UniqueLocal sd;
        SECURITY_ATTRIBUTES sa{};
        // Server handles of this name that are open: the next one is created
        // with FILE_FLAG_FIRST_PIPE_INSTANCE when there are none.
        std::size_t open_handles = 0;
        // The descriptor names SYSTEM as the owner (kPipeOwner).
        bool owner_system = false;
        // Builds `sd` and `sa` from kPipeSddl or kAdminPipeSddl; throws.
        void set_security(bool with_owner);
    };

    // INVALID_HANDLE_VALUE and the error when the instance could not be made.
    HANDLE create_instance(const Door& door, bool first, DWORD& error) const;
    // Builds the door's descriptor and makes its first instance; throws.
    std::shared_ptr<Instance> open_door(Door& door);
    void arm_retry();
    void report(const std::string& line) {
        if (options.on_error) options.on_error(line);
    }
    bool client_process_is_admin(std::uint32_t pid) const {
        return options.process_is_admin ? options.process_is_admin(pid)
                                        : process_token_is_admin(pid);
    }
    void stop();

    boost::asio::io_context& io;
    std::string pipe_name;
    std::wstring path;
    Handler handler;
    Options options;
    PipeAdmission admission;
    Door public_door;
    Door admin_door;
    bool running = false;
    bool retry_armed = false;
    // The pool: max_instances + admin_instances instances, made at start and reused.
    std::vector<std::shared_ptr<Instance>> instances;
    boost::asio::steady_timer retry;
    PipeServerStats stats;
};

// One instance of the pipe, reused for client after client: listens, admits
// (or refuses) the client that connects, serves its lines until it leaves,
// idles, reaches its lifetime, errs or sends a line that is too long; then
// DisconnectNamedPipe and listen again. Only when a reply must stay readable
// after the end (a refusal, "request too long") is the handle closed instead
// and a new one created, because DisconnectNamedPipe discards unread data.
//
// Every end of a connection runs in the completion handler of the one
// operation pending on the handle (a read or a write), so the handle is
// never reused while an OVERLAPPED on it is still in flight: the timer only
// cancels that operation.
class PipeServer::Impl::Instance : public std::enable_shared_from_this<Instance> {
public:
    Instance(std::shared_ptr<PipeServer::Impl> server, PipeServer::Impl::Door& door)
        : owner_(std::move(server)),
          server_(*owner_),
          door_(door),
          pipe_(server_.io),
          timer_(server_.io) {}

    bool has_handle() const { return pipe_.is_open(); }

    // Creates this instance's handle. On failure: false, and the error in
    // `*error` when given, else reported.
    bool open(DWORD* error = nullptr) {
        DWORD e = ERROR_SUCCESS;
        std::string doing;
        UniqueKernelHandle h(server_.create_instance(door_, door_.open_handles == 0, e));
        if (h) {
            error_code ec;
            pipe_.assign(h.get(), ec);
            if (!ec) {
                h.release();  // the stream owns it now
                ++door_.open_handles;
                return true;
            }
            e = static_cast<DWORD>(ec.value());
            doing = "attaching an instance of " + narrow(door_.path) + " to the io_context";
        } else {
            doing = "creating an instance of " + narrow(door_.path);
        }
        if (error) {
            *error = e;
        } else {
            ++server_.stats.errors;
            server_.report(describe(doing, e));
        }
        return false;
    }

    void listen() {
        phase_ = Phase::listening;
        const std::uint64_t gen = ++gen_;
        auto self = shared_from_this();
        boost::asio::windows::overlapped_ptr op(
            pipe_.get_executor(), [self, gen](error_code ec, std::size_t) {
                self->guarded("accepting a client", [&] { self->on_connected(ec, gen); });
            });
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

    // The server stops: pending operations end with operation_aborted and
    // find the instance stopped.
    void stop() {
        phase_ = Phase::stopped;
        error_code ignored;
        timer_.cancel();
        close_handle();
    }

private:
    enum class Phase { listening, serving, stopped };
    enum class End { reuse, replace };

    // Every completion handler runs through here: one that throws (an
    // allocation, an injected identity check, a bug) ends that connection,
    // which is reported, and the instance is made anew; it never unwinds
    // into io_context::run(), where it would stop every other client.
    // `operation_pending`: a read or write is still in flight (the timer's
    // handler); the connection then ends in that operation's handler, as an
    // expiry does, never here.
    template <typename F>
    void guarded(const char* doing, F&& f, bool operation_pending = false) {
        try {
            f();
            return;
        } catch (const std::exception& e) {
            recover(doing, e.what(), operation_pending);
        } catch (...) {
            recover(doing, "unknown exception", operation_pending);
        }
    }

    void recover(const char* doing, const char* why, bool operation_pending) noexcept {
        try {
            ++server_.stats.errors;
            server_.report("pipe " + server_.pipe_name + ": " + doing + ": " + why +
                           "; that connection is closed");
            if (phase_ == Phase::stopped) return;
            if (operation_pending) {
                expired_ = true;
                error_code ignored;
                pipe_.cancel(ignored);
                return;
            }
            end(End::replace);
        } catch (...) {
            // Nothing more to do safely: the instance stays closed until the
            // server's retry makes it again.
        }
    }

    void close_handle() {
        if (!pipe_.is_open()) return;
        error_code ignored;
        pipe_.cancel(ignored);  // CancelIoEx: pending operations end with operation_aborted
        pipe_.close(ignored);
        --door_.open_handles;
    }

    void on_connected(const error_code& ec, std::uint64_t gen) {
        if (phase_ != Phase::listening || gen != gen_) return;
        if (ec) {
            // ERROR_NO_DATA: the client left before we saw it; the instance
            // is fine. Anything else: make a new one.
            if (ec.value() == ERROR_NO_DATA) {
                end(End::reuse);
                return;
            }
            ++server_.stats.errors;
            server_.report("pipe " + server_.pipe_name + ": accepting a client: " + ec.message());
            end(End::replace);
            return;
        }
        ULONG pid = 0;
        if (!GetNamedPipeClientProcessId(pipe_.native_handle(), &pid)) pid = 0;
        pid_ = pid;
        took_reserved_ = false;
        Admission a = Admission::accepted;
        if (door_.admin_only) {
            // Windows lets only SYSTEM and Administrators open this name (its
            // DACL); the token check also holds where a DACL is not enforced
            // (Wine). Its connections are not counted in the public door's caps.
            took_reserved_ = true;
            if (!server_.client_process_is_admin(pid_)) a = Admission::reserved;
        } else {
            a = server_.admission.admit(pid_, [this] {
                took_reserved_ = server_.client_process_is_admin(pid_);
                return took_reserved_;
            });
        }
        phase_ = Phase::serving;
        admitted_ = a == Admission::accepted;
        counted_ = admitted_ && !door_.admin_only;
        server_.stats.peak_held =
            std::max<std::uint64_t>(server_.stats.peak_held, server_.admission.held());
        born_ = Clock::now();
        expired_ = false;
        in_.clear();
        admin_.reset();
        touch();
        watch();
        if (!admitted_) {
            ++server_.stats.refused;
            write(pipe_error(admission_error(a)), true);
            return;
        }
        ++server_.stats.connections;
        read_line();
    }

    // The deadline: idle_timeout after the last line or reply, but never
    // later than `lifetime` after the connection was accepted. One timer wait
    // per connection (re-armed only when it fires early) keeps the
    // per-request cost low.
    void touch() {
        deadline_ =
            std::min(Clock::now() + server_.options.idle_timeout, born_ + server_.options.lifetime);
    }

    void watch() {
        timer_.expires_at(deadline_);
        timer_.async_wait([self = shared_from_this(), gen = gen_](const error_code& ec) {
            self->guarded(
                "timing a connection out", [&] { self->on_deadline(ec, gen); },
                /*operation_pending=*/true);
        });
    }

    void on_deadline(const error_code& ec, std::uint64_t gen) {
        if (ec || gen != gen_ || phase_ != Phase::serving) return;
        if (Clock::now() < deadline_) {
            watch();
            return;
        }
        if (Clock::now() >= born_ + server_.options.lifetime) {
            ++server_.stats.lifetimes;
        } else {
            ++server_.stats.timeouts;
        }
        // The pending read or write ends with operation_aborted; its handler
        // ends the connection.
        expired_ = true;
        error_code ignored;
        pipe_.cancel(ignored);
    }

    // Ends the current connection (the caller is the handler of the last
    // pending operation) and listens again.
    void end(End how) {
        if (counted_) server_.admission.leave(pid_);
        counted_ = false;
        admitted_ = false;
        error_code ignored;
        timer_.cancel();
        ++gen_;  // a timer wait still queued is stale
        if (phase_ == Phase::stopped || !server_.running) return;
        if (how == End::reuse && DisconnectNamedPipe(pipe_.native_handle())) {
            ++server_.stats.reused;
            listen();
            return;
        }
        close_handle();
        if (open()) {
            listen();
        } else {
            server_.arm_retry();
        }
    }

    // True when the connection is over (stopped, or ended here).
    bool finished(const error_code& ec) {
        if (phase_ == Phase::stopped) return true;
        if (expired_) {
            end(End::reuse);
            return true;
        }
        if (ec) {
            // eof / broken pipe: the client hung up, the usual end.
            end(End::reuse);
            return true;
        }
        return false;
    }

    void read_line() {
        touch();
        boost::asio::async_read_until(
            pipe_, boost::asio::dynamic_buffer(in_, kMaxBuffered), '\n',
            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                self->guarded("serving a request", [&] { self->on_read(ec, n); });
            });
    }

    void on_read(const error_code& ec, std::size_t n) {
        if (ec == boost::asio::error::not_found && phase_ == Phase::serving && !expired_) {
            // The buffer is full and holds no newline: over 64 KiB.
            too_long();
            return;
        }
        if (finished(ec)) return;
        std::string line = in_.substr(0, n - 1);
        in_.erase(0, n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > max_request_bytes) {
            too_long();
            return;
        }
        // Windows lets a server impersonate its client only once it has read
        // from it. Asked once per connection: at the first line of a client on
        // the reserved instance, otherwise only when a command asks.
        const IsAdmin is_admin = [this] {
            if (!admin_) admin_ = client_is_admin(pipe_.native_handle());
            return *admin_;
        };
        if (took_reserved_ && !is_admin()) {
            // Its process looked like an administrator's, its token does
            // not: the reserved instance is not for it.
            ++server_.stats.refused;
            write(pipe_error(admission_error(Admission::reserved)), true);
            return;
        }
        std::string reply;
        try {
            reply = server_.handler(line, is_admin);
        } catch (const std::exception& e) {
            reply = pipe_error(std::string("internal error: ") + e.what());
        } catch (...) {
            reply = pipe_error("internal error");
        }
        if (phase_ == Phase::stopped) return;  // the handler stopped the server
        ++server_.stats.requests;
        write(std::move(reply), false);
    }

    void too_long() {
        ++server_.stats.too_long;
        write(pipe_error("request too long"), true);
    }

    void write(std::string reply, bool close_after) {
        out_ = std::move(reply);
        out_ += '\n';
        touch();  // a client that never reads its replies idles out too
        boost::asio::async_write(
            pipe_, boost::asio::buffer(out_),
            [self = shared_from_this(), close_after](const error_code& ec, std::size_t) {
                self->guarded("writing a reply", [&] { self->on_written(ec, close_after); });
            });
    }

    void on_written(const error_code& ec, bool close_after) {
        if (phase_ == Phase::stopped) return;
        if (close_after && !ec && !expired_) {
            // Closing (not DisconnectNamedPipe) leaves the reply readable by
            // the client.
            end(End::replace);
            return;
        }
        if (finished(ec)) return;
        read_line();
    }

    std::shared_ptr<PipeServer::Impl> owner_;
    PipeServer::Impl& server_;
    PipeServer::Impl::Door& door_;
    boost::asio::windows::stream_handle pipe_;
    boost::asio::steady_timer timer_;
    Phase phase_ = Phase::listening;
    std::uint64_t gen_ = 0;
    Clock::time_point born_{};
    Clock::time_point deadline_{};
    std::uint32_t pid_ = 0;
    bool admitted_ = false;
    bool counted_ = false;  // in the public door's admission counts
    bool took_reserved_ = false;
    bool expired_ = false;
    std::string in_;
    std::string out_;
    std::optional<bool> admin_;
};

HANDLE PipeServer::Impl::create_instance(const Door& door, bool first, DWORD& error) const {
    // FIRST_PIPE_INSTANCE whenever we hold no instance: if the name exists
    // then, someone else made it, and we must not join their pipe.
    const DWORD open_mode =
        PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const DWORD pipe_mode =
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE h =
        CreateNamedPipeW(door.path.c_str(), open_mode, pipe_mode,
                         static_cast<DWORD>(door.instances), kPipeBufferBytes, kPipeBufferBytes,
                         kDefaultWaitMs, const_cast<SECURITY_ATTRIBUTES*>(&door.sa));
    error = h == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
    return h;
}

void PipeServer::Impl::arm_retry() {
    if (retry_armed || !running) return;
    retry_armed = true;
    retry.expires_after(std::chrono::milliseconds(250));
    retry.async_wait([self = shared_from_this()](const error_code& ec) {
        self->retry_armed = false;
        if (ec || !self->running) return;
        for (const auto& i : self->instances) {
            if (i->has_handle()) continue;
            if (!i->open()) {
                self->arm_retry();
                return;
            }
            i->listen();
        }
    });
}

void PipeServer::Impl::stop() {
    running = false;
    retry.cancel();
    for (const auto& i : instances) i->stop();
    instances.clear();
}

std::wstring pipe_path(const std::string& pipe_name) { return L"\\\\.\\pipe\\" + widen(pipe_name); }

std::wstring admin_pipe_path(const std::string& pipe_name) {
    return pipe_path(pipe_name + kAdminPipeSuffix);
}

PipeServer::PipeServer(boost::asio::io_context& io, std::string pipe_name, Handler handler,
                       Options options)
    : impl_(std::make_shared<Impl>(io, std::move(pipe_name), std::move(handler),
                                   std::move(options))) {
    // 255 is PIPE_UNLIMITED_INSTANCES, which is not a bound.
    if (impl_->options.max_instances < 1 || impl_->options.max_instances > 254 ||
        impl_->options.admin_instances > 254) {
        throw std::invalid_argument("pipe " + impl_->pipe_name + ": max_instances must be 1..254");
    }
}

PipeServer::~PipeServer() { impl_->stop(); }

void PipeServer::Impl::Door::set_security(bool with_owner) {
    const std::wstring sddl = (with_owner ? std::wstring(kPipeOwner) : std::wstring()) +
                              (admin_only ? kAdminPipeSddl : kPipeSddl);
    PSECURITY_DESCRIPTOR made = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &made,
                                                              nullptr)) {
        throw Win32Error("building the security descriptor of " + narrow(path), GetLastError());
    }
    sd.reset(made);
    sa.nLength = sizeof sa;
    sa.lpSecurityDescriptor = made;
    sa.bInheritHandle = FALSE;
    owner_system = with_owner;
}

std::shared_ptr<PipeServer::Impl::Instance> PipeServer::Impl::open_door(Door& door) {
    if (!door.sd) door.set_security(/*with_owner=*/true);
    // Wine 8.0 ignores FILE_FLAG_FIRST_PIPE_INSTANCE (docs/testing.md (p)):
    // ask first whether the name is served. WaitNamedPipe says "not found"
    // only when no instance of that name exists. On Windows the flag below
    // also closes the window between this check and the create.
    if (WaitNamedPipeW(door.path.c_str(), 1) || GetLastError() != ERROR_FILE_NOT_FOUND) {
        throw Win32Error("creating the pipe " + narrow(door.path) +
                             " (another PermWatch, or another process, already serves that name)",
                         ERROR_ALREADY_EXISTS);
    }
    // The first instance alone first (FILE_FLAG_FIRST_PIPE_INSTANCE): its
    // failure means the name is taken.
    auto first = std::make_shared<Instance>(shared_from_this(), door);
    DWORD error = ERROR_SUCCESS;
    bool opened = first->open(&error);
    if (!opened && error == ERROR_INVALID_OWNER && door.owner_system) {
        // Not running as SYSTEM (run --console): the creator owns the pipe.
        door.set_security(/*with_owner=*/false);
        report("pipe " + narrow(door.path) +
               ": SYSTEM cannot be its owner in this process (not running as SYSTEM); the "
               "account that runs PermWatch owns it");
        opened = first->open(&error);
    }
    if (!opened) {
        std::string doing = "creating the pipe " + narrow(door.path);
        if (error == ERROR_ACCESS_DENIED) {
            doing += " (another PermWatch, or another process, already has that name)";
        }
        throw Win32Error(doing, error);
    }
    return first;
}

void PipeServer::start() {
    Impl& s = *impl_;
    if (s.running) return;
    std::vector<std::shared_ptr<Impl::Instance>> firsts = {s.open_door(s.public_door)};
    if (s.admin_door.instances > 0) {
        // Both names or neither: a squatter on the administrators' name must
        // not leave administrators to the public one without a word.
        try {
            firsts.push_back(s.open_door(s.admin_door));
        } catch (...) {
            firsts.front()->stop();
            throw;
        }
    }
    s.running = true;
    // The pool: every instance made now and listening, so a client never
    // waits for a CreateNamedPipe.
    for (auto* door : {&s.public_door, &s.admin_door}) {
        for (std::size_t n = 0; n < door->instances; ++n) {
            std::shared_ptr<Impl::Instance> i;
            if (n == 0) {
                i = firsts[door == &s.public_door ? 0 : 1];
            } else {
                i = std::make_shared<Impl::Instance>(impl_, *door);
                if (!i->open()) {
                    s.instances.push_back(i);
                    s.arm_retry();
                    continue;
                }
            }
            s.instances.push_back(i);
            i->listen();
        }
    }
}

void PipeServer::stop() { impl_->stop(); }

const std::wstring& PipeServer::path() const { return impl_->path; }

PipeServerStats PipeServer::stats() const { return impl_->stats; }

}  // namespace permwatch::win
