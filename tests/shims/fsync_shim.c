/* TEST SHIM (Linux, LD_PRELOAD): plays a slow or failing disk for the journal.
 *
 * Wine's FlushFileBuffers ends in fsync() in the calling Linux process
 * (measured: docs/testing.md), so preloading this into `wine x.exe` delays or
 * fails PermWatch's journal flushes without touching any other file. It acts
 * only on files whose path contains "journal", and reads what to do from the
 * file named by $PERMWATCH_FSYNC_SHIM at every call, so a test can change it
 * while the process runs:
 *   delay_ms=N   sleep N ms before the real fsync
 *   fail=1       fail with EIO instead (0: succeed)
 * Each call on a journal file appends a line "fsync <ms>" to the control
 * file's name + ".log", so a test can see that the shim was really used.
 * Built by the host compiler (tests/fakes/CMakeLists.txt); never shipped. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int is_journal(int fd) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = '\0';
    return strstr(path, "journal") != NULL;
}

static void read_control(long* delay_ms, int* fail) {
    *delay_ms = 0;
    *fail = 0;
    const char* control = getenv("PERMWATCH_FSYNC_SHIM");
    if (!control) return;
    FILE* f = fopen(control, "r");
    if (!f) return;
    char word[64];
    while (fscanf(f, "%63s", word) == 1) {
        if (strncmp(word, "delay_ms=", 9) == 0) *delay_ms = strtol(word + 9, NULL, 10);
        if (strncmp(word, "fail=", 5) == 0) *fail = atoi(word + 5);
    }
    fclose(f);
}

static void record(long ms, int failed) {
    const char* control = getenv("PERMWATCH_FSYNC_SHIM");
    if (!control) return;
    char log[4096];
    snprintf(log, sizeof log, "%s.log", control);
    FILE* f = fopen(log, "a");
    if (!f) return;
    fprintf(f, "fsync %ld%s\n", ms, failed ? " EIO" : "");
    fclose(f);
}

static int shimmed(int fd, const char* name) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    if (!is_journal(fd)) return real(fd);
    long delay_ms;
    int fail;
    read_control(&delay_ms, &fail);
    if (fail) {
        record(0, 1);
        errno = EIO;
        return -1;
    }
    if (delay_ms > 0) {
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    record(delay_ms, 0);
    return real(fd);
}

int fsync(int fd) { return shimmed(fd, "fsync"); }
int fdatasync(int fd) { return shimmed(fd, "fdatasync"); }
