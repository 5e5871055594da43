// journal_actor.exe: a user who squats the named objects that PermWatch's
// journal once used (tests/windows/test_watchdog.cpp), with plain Win32
// calls. Not part of the product.
//
//   journal_actor squat JOURNAL MARKER
//       Creates Global\PermWatchJournal-<hash> (a mutex, and holds it) and
//       Global\PermWatchJournalRotations-<hash> (a section), as the journal
//       at JOURNAL named them, each with a DACL that lets everyone open it (so
//       that a PermWatch that still used them would open them and wait);
//       then writes MARKER and sleeps until it is killed.
//   journal_actor lock JOURNAL MARKER
//       Another writer of the journal, as a second PermWatch process is one:
//       takes the writer lock on JOURNAL.lock (the byte at 1 MiB that
//       service/journal_lock.cpp locks), writes MARKER and sleeps until it
//       is killed.
#include <windows.h>
// after windows.h
#include <sddl.h>

#include <cstdint>
#include <cstdio>
#include <cwchar>
#include <string>

namespace {

// The name the journal gave its objects: FNV-1a of the ASCII-folded path.
std::wstring object_name(const wchar_t* kind, const std::string& journal) {
    std::uint64_t h = 1469598103934665603ull;
    for (char c : journal) {
        h ^= static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        h *= 1099511628211ull;
    }
    wchar_t name[96];
    swprintf(name, 96, L"Global\\%ls-%016llx", kind, static_cast<unsigned long long>(h));
    return name;
}

bool write_marker(const char* path) {
    HANDLE marker =
        CreateFileA(path, GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (marker == INVALID_HANDLE_VALUE) return false;
    CloseHandle(marker);
    return true;
}

int hold_writer_lock(const std::string& journal, const char* marker) {
    HANDLE file = CreateFileA((journal + ".lock").c_str(), GENERIC_READ | GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) return 3;
    OVERLAPPED at{};
    at.Offset = 1u << 20;
    if (!LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &at)) return 4;
    if (!write_marker(marker)) return 6;
    std::printf("journal_actor: holding the journal's writer lock\n");
    std::fflush(stdout);
    Sleep(INFINITE);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == "lock") return hold_writer_lock(argv[2], argv[3]);
    if (argc != 4 || std::string(argv[1]) != "squat") {
        std::fprintf(stderr, "usage: journal_actor squat|lock JOURNAL MARKER\n");
        return 2;
    }
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:(A;;GA;;;WD)", SDDL_REVISION_1,
                                                              &sd, nullptr))
        return 3;
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    HANDLE mutex = CreateMutexW(&sa, TRUE, object_name(L"PermWatchJournal", argv[2]).c_str());
    if (!mutex || GetLastError() == ERROR_ALREADY_EXISTS) {
        std::fprintf(stderr, "journal_actor: the mutex could not be made first: %lu\n",
                     GetLastError());
        return 4;
    }
    HANDLE section = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 8,
                                        object_name(L"PermWatchJournalRotations", argv[2]).c_str());
    if (!section) {
        std::fprintf(stderr, "journal_actor: the section could not be made: %lu\n", GetLastError());
        return 5;
    }
    if (!write_marker(argv[3])) return 6;
    std::printf("journal_actor: holding the journal's old mutex and section\n");
    std::fflush(stdout);
    Sleep(INFINITE);
    return 0;
}
