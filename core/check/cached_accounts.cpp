#include "core/check/cached_accounts.hpp"

#include <vector>

namespace permwatch {

AccountLookup CachedAccounts::lookup(Cache& cache, std::string_view name,
                                     AccountLookup (AccountResolver::*ask)(std::string_view)) {
    {
        std::lock_guard lock(mutex_);
        if (const auto it = cache.find(name); it != cache.end()) return it->second;
    }
    AccountLookup answer = (source_.*ask)(name);
    std::lock_guard lock(mutex_);
    cache.insert_or_assign(std::string(name), answer);
    return answer;
}

AccountLookup CachedAccounts::account_sid(std::string_view account_name) {
    return lookup(accounts_, account_name, &AccountResolver::account_sid);
}

AccountLookup CachedAccounts::service_account_sid(std::string_view service_name) {
    return lookup(services_, service_name, &AccountResolver::service_account_sid);
}

std::vector<Sid> CachedAccounts::account_groups(const Sid& account) {
    {
        std::lock_guard lock(mutex_);
        if (const auto it = groups_.find(account); it != groups_.end()) return it->second;
    }
    std::vector<Sid> answer = source_.account_groups(account);
    std::lock_guard lock(mutex_);
    groups_.insert_or_assign(account, answer);
    return answer;
}

void CachedAccounts::refresh() {
    for (auto [cache, ask] : {std::pair{&accounts_, &AccountResolver::account_sid},
                              std::pair{&services_, &AccountResolver::service_account_sid}}) {
        std::vector<std::string> names;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [name, answer] : *cache) names.push_back(name);
        }
        for (const std::string& name : names) {
            AccountLookup answer = (source_.*ask)(name);  // may take seconds: no lock held
            std::lock_guard lock(mutex_);
            cache->insert_or_assign(name, std::move(answer));
        }
    }
    std::vector<Sid> accounts;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [account, groups] : groups_) accounts.push_back(account);
    }
    for (const Sid& account : accounts) {
        std::vector<Sid> answer = source_.account_groups(account);  // no lock held
        std::lock_guard lock(mutex_);
        groups_.insert_or_assign(account, std::move(answer));
    }
}

std::size_t CachedAccounts::size() const {
    std::lock_guard lock(mutex_);
    return accounts_.size() + services_.size();
}

}  // namespace permwatch
