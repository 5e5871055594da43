#include "service/process_account.hpp"

#include <windows.h>

#include <vector>

#include "service/security_convert.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// One token information class, sized by asking first.
std::optional<std::vector<BYTE>> token_info(HANDLE token, TOKEN_INFORMATION_CLASS what,
                                            DWORD& code) {
    DWORD size = 0;
    GetTokenInformation(token, what, nullptr, 0, &size);
    // Bounded: a token's groups fit in far less, whatever the process says.
    if (size == 0 || size > 1024 * 1024) size = sizeof(TOKEN_ELEVATION);
    std::vector<BYTE> buf(size);
    if (!GetTokenInformation(token, what, buf.data(), size, &size)) {
        code = GetLastError();
        return std::nullopt;
    }
    return buf;
}

// "DOMAIN\name", or the SID's text when it has no name here.
std::string name_of(PSID sid, const Sid& fallback) {
    wchar_t name[256];
    wchar_t domain[256];
    DWORD name_size = 256;
    DWORD domain_size = 256;
    SID_NAME_USE use{};
    if (!LookupAccountSidW(nullptr, sid, name, &name_size, domain, &domain_size, &use))
        return fallback.str();
    try {
        const std::string d = narrow(domain);
        return d.empty() ? narrow(name) : d + "\\" + narrow(name);
    } catch (const std::exception&) {
        return fallback.str();  // a name that is not valid text
    }
}

}  // namespace

std::optional<ProcessAccount> account_of_process(std::uint32_t pid, std::string& error) {
    const UniqueKernelHandle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) {
        error = describe("opening the process", GetLastError());
        return std::nullopt;
    }
    HANDLE raw = nullptr;
    if (!OpenProcessToken(process.get(), TOKEN_QUERY, &raw)) {
        error = describe("opening its token", GetLastError());
        return std::nullopt;
    }
    const UniqueKernelHandle token(raw);
    DWORD code = 0;
    const auto user = token_info(token.get(), TokenUser, code);
    if (!user) {
        error = describe("reading its token's user", code);
        return std::nullopt;
    }
    const auto elevation = token_info(token.get(), TokenElevation, code);
    if (!elevation) {
        error = describe("reading its token's elevation", code);
        return std::nullopt;
    }
    const auto groups = token_info(token.get(), TokenGroups, code);
    if (!groups) {
        error = describe("reading its token's groups", code);
        return std::nullopt;
    }
    ProcessAccount account;
    PSID user_sid = reinterpret_cast<const TOKEN_USER*>(user->data())->User.Sid;
    account.user = from_psid(user_sid);
    account.user_name = name_of(user_sid, account.user);
    account.elevated =
        reinterpret_cast<const TOKEN_ELEVATION*>(elevation->data())->TokenIsElevated != 0;
    const Sid administrators(5, {32, 544});
    const auto* g = reinterpret_cast<const TOKEN_GROUPS*>(groups->data());
    for (DWORD i = 0; i < g->GroupCount; ++i) {
        const DWORD attributes = g->Groups[i].Attributes;
        // A filtered (not elevated) administrator's token has it deny-only.
        if ((attributes & SE_GROUP_ENABLED) && !(attributes & SE_GROUP_USE_FOR_DENY_ONLY) &&
            from_psid(g->Groups[i].Sid) == administrators) {
            account.administrators = true;
        }
    }
    return account;
}

}  // namespace permwatch::win
