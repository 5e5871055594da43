// FileSecurityPort on real files and folders: owner and DACL from
// GetNamedSecurityInfoW, account names from LookupAccountSidW, and the
// account this process runs as from its token. (Under Wine every file reads
// back as owned by the prefix user with a synthesised DACL: docs/testing.md (x).)
#pragma once

#include "core/policy/trusted_files.hpp"

namespace permwatch::win {

class Win32FileSecurity final : public FileSecurityPort {
public:
    FileSecurityRead read(const std::string& path) override;
    // service/opened_file.hpp: one handle, judged and then read.
    OpenedFile open_and_read(const std::string& path) override;
    std::string account_name(const Sid& sid) override;
    std::optional<Sid> self() override;
};

}  // namespace permwatch::win
