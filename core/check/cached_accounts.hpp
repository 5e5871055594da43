// Account answers from a cache, so that the path from a cluster event to a
// repaired key never waits on the SCM or the LSA (a prepare must be done before the
// Cluster service restores the checkpoint). The
// first question about a name asks the source; later ones are answered from
// the cache, which refresh() renews from another thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/ports/account_resolver.hpp"

namespace permwatch {

class CachedAccounts final : public AccountResolver {
public:
    // `source` must be safe to call from the engine's thread and from the
    // thread that calls refresh() (the Windows adapter keeps no state).
    explicit CachedAccounts(AccountResolver& source) : source_(source) {}

    AccountLookup account_sid(std::string_view account_name) override;
    AccountLookup service_account_sid(std::string_view service_name) override;
    std::vector<Sid> account_groups(const Sid& account) override;

    // Asks the source again about every name asked so far and swaps in the
    // answers; lookups meanwhile are answered from the old ones. A failed
    // answer is cached too: it is renewed here, never on the engine's path.
    void refresh();
    std::size_t size() const;

private:
    using Cache = std::map<std::string, AccountLookup, std::less<>>;
    AccountLookup lookup(Cache& cache, std::string_view name,
                         AccountLookup (AccountResolver::*ask)(std::string_view));

    AccountResolver& source_;
    mutable std::mutex mutex_;  // guards the two maps, never held while asking
    Cache accounts_;
    Cache services_;
    std::map<Sid, std::vector<Sid>> groups_;
};

}  // namespace permwatch
