// Who may hold an instance of the status pipe (core/pipe/pipe_admission.hpp) and
// whom `permwatch status` believes (core/pipe/pipe_trust.hpp). Under Wine every
// client is the same user, in Administrators (docs/testing.md (p)), so the
// decisions that depend on "not an administrator" are proved here, natively.
#include <gtest/gtest.h>

#include "core/pipe/pipe_admission.hpp"
#include "core/pipe/pipe_trust.hpp"

namespace permwatch {
namespace test_pipe_admission {

const auto admin = [] { return true; };
const auto user = [] { return false; };

TEST(PipeAdmission, OneProcessHoldsAtMostItsCap) {
    PipeAdmission a({16, 1, 4});
    for (int i = 0; i < 4; ++i) EXPECT_EQ(a.admit(100, user), Admission::accepted) << i;
    EXPECT_EQ(a.admit(100, user), Admission::process_cap);
    EXPECT_EQ(a.admit(100, admin), Admission::process_cap) << "the cap holds for admins too";
    EXPECT_EQ(a.admit(200, user), Admission::accepted) << "another process is not affected";
    a.leave(100);
    EXPECT_EQ(a.admit(100, user), Admission::accepted) << "a connection that left frees its place";
    EXPECT_EQ(a.held_by(100), 4u);
    EXPECT_EQ(a.held(), 5u);
}

TEST(PipeAdmission, TheLastInstanceIsOnlyForAnAdministrator) {
    PipeAdmission a({16, 1, 4});
    // 15 non-administrator processes, one connection each, fill every
    // instance but the reserved one.
    for (std::uint32_t pid = 1; pid <= 15; ++pid) {
        EXPECT_EQ(a.admit(pid, user), Admission::accepted) << pid;
    }
    EXPECT_EQ(a.admit(16, user), Admission::reserved);
    EXPECT_EQ(a.admit(1, user), Admission::reserved);
    EXPECT_EQ(a.held(), 15u);
    EXPECT_EQ(a.admit(99, admin), Admission::accepted);
    EXPECT_EQ(a.held(), 16u);
    EXPECT_EQ(a.admit(98, admin), Admission::full) << "more than the pipe's instances: never";
    a.leave(99);
    EXPECT_EQ(a.admit(98, admin), Admission::accepted);
}

TEST(PipeAdmission, IsAdminIsOnlyAskedWhenItDecides) {
    PipeAdmission a({4, 1, 4});
    int asked = 0;
    const auto counting = [&] {
        ++asked;
        return false;
    };
    EXPECT_EQ(a.admit(1, counting), Admission::accepted);
    EXPECT_EQ(a.admit(2, counting), Admission::accepted);
    EXPECT_EQ(a.admit(3, counting), Admission::accepted);
    EXPECT_EQ(asked, 0) << "free ordinary instances need no look at the token";
    EXPECT_EQ(a.admit(4, counting), Admission::reserved);
    EXPECT_EQ(asked, 1);
}

TEST(PipeAdmission, HostileProcessesCannotStarveAnAdministrator) {
    // 500 connection attempts spread over 5 non-administrator processes, in
    // any order: at most 15 are held, and the administrator still gets in.
    PipeAdmission a({16, 1, 4});
    int accepted = 0;
    for (int i = 0; i < 500; ++i) {
        if (a.admit(static_cast<std::uint32_t>(1000 + i % 5), user) == Admission::accepted) {
            ++accepted;
        }
    }
    EXPECT_EQ(accepted, 15);
    EXPECT_EQ(a.admit(7, admin), Admission::accepted);
}

TEST(PipeAdmission, LeaveOfAProcessThatHoldsNothingChangesNothing) {
    PipeAdmission a({2, 1, 1});
    a.leave(5);
    EXPECT_EQ(a.held(), 0u);
    EXPECT_EQ(a.admit(5, user), Admission::accepted);
    a.leave(6);
    EXPECT_EQ(a.held(), 1u);
}

TEST(PipeAdmission, BadLimitsAreRefused) {
    EXPECT_THROW(PipeAdmission({1, 1, 4}), std::invalid_argument);
    EXPECT_THROW(PipeAdmission({4, 0, 0}), std::invalid_argument);
    EXPECT_THROW(PipeAdmission({0, 0, 1}), std::invalid_argument);
    EXPECT_NO_THROW(PipeAdmission({1, 0, 1}));
}

TEST(PipeAdmission, CreateRetryDoublesFromOneSecondToAMinute) {
    std::vector<long long> got;
    for (unsigned n = 1; n <= 9; ++n) got.push_back(pipe_create_retry_delay(n).count());
    EXPECT_EQ(got, (std::vector<long long>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
    EXPECT_EQ(pipe_create_retry_delay(0).count(), 1);
    EXPECT_EQ(pipe_create_retry_delay(1000000).count(), 60);
}

TEST(PipeAdmission, ErrorsNameTheReason) {
    EXPECT_EQ(admission_error(Admission::process_cap), "too many connections from this process");
    EXPECT_NE(admission_error(Admission::reserved).find("administrators"), std::string::npos);
}

// --- the client's rule -----------------------------------------------------

PipeServerFacts console_facts(std::string server_image) {
    PipeServerFacts f;
    f.server_pid = 4242;
    f.server_image = std::move(server_image);
    f.own_image = "C:\\Tools\\PermWatch\\permwatch.exe";
    // An administrator's elevated console (the account rule: its own tests).
    f.server_account = ProcessAccount{*Sid::parse("S-1-5-21-1-2-3-500"), "HOST\\admin", true, true};
    return f;
}

TEST(PipeTrust, TheRunningServiceMustBeTheServer) {
    PipeServerFacts f = console_facts("C:\\Tools\\PermWatch\\permwatch.exe");
    f.service_pid = 4242;
    EXPECT_EQ(untrusted_pipe_server("\\\\.\\pipe\\permwatch", f), std::nullopt);
    f.service_pid = 17;
    const auto why = untrusted_pipe_server("\\\\.\\pipe\\permwatch", f);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why,
              "\\\\.\\pipe\\permwatch is not PermWatch (pid 4242, image "
              "C:\\Tools\\PermWatch\\permwatch.exe; the PermWatch service is pid 17)");
}

TEST(PipeTrust, ConsoleModeServerMustRunTheClientsOwnImageOrTheServicesImage) {
    EXPECT_EQ(untrusted_pipe_server("p", console_facts("c:/tools/permwatch/PERMWATCH.EXE")),
              std::nullopt);
    PipeServerFacts f = console_facts("C:\\Program Files\\PermWatch\\permwatch.exe");
    EXPECT_TRUE(untrusted_pipe_server("p", f));
    f.service_image = "C:\\Program Files\\PermWatch\\permwatch.exe";
    EXPECT_EQ(untrusted_pipe_server("p", f), std::nullopt);
    // Only the name matches: anyone can call a file permwatch.exe.
    const auto why = untrusted_pipe_server("\\\\.\\pipe\\permwatch",
                                           console_facts("C:\\Users\\eve\\permwatch.exe"));
    ASSERT_TRUE(why);
    EXPECT_EQ(*why,
              "\\\\.\\pipe\\permwatch is not PermWatch (pid 4242, image "
              "C:\\Users\\eve\\permwatch.exe)");
}

TEST(PipeTrust, AnUnreadableImageIsNotTrusted) {
    PipeServerFacts f = console_facts("");
    f.server_image.reset();
    f.server_image_error = "error 5 (Access is denied.)";
    const auto why = untrusted_pipe_server("p", f);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "p is not PermWatch (pid 4242, image unknown: error 5 (Access is denied.))");
    f.own_image.clear();
    f.server_image = "";
    EXPECT_TRUE(untrusted_pipe_server("p", f)) << "two empty paths are not the same file";
}

// The genuine exe run as `run --console` by someone without an
// administrator's power serves a registry view and config of its own: it is
// named and not believed. Under Wine every process is the same elevated
// administrator (docs/testing.md (h2)), so these accounts are played here.
TEST(PipeTrust, AConsoleServerMustRunAsSystemOrAnElevatedAdministrator) {
    PipeServerFacts f = console_facts("C:\\Tools\\PermWatch\\permwatch.exe");
    EXPECT_EQ(untrusted_pipe_server("p", f), std::nullopt);
    f.server_account = ProcessAccount{local_system_sid(), "NT AUTHORITY\\SYSTEM", false, false};
    EXPECT_EQ(untrusted_pipe_server("p", f), std::nullopt) << "SYSTEM needs no elevation";
    f.server_account =
        ProcessAccount{*Sid::parse("S-1-5-21-1-2-3-1001"), "HOST\\eve", false, false};
    auto why = untrusted_pipe_server("\\\\.\\pipe\\permwatch", f);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why,
              "\\\\.\\pipe\\permwatch is served by pid 4242 (image "
              "C:\\Tools\\PermWatch\\permwatch.exe, account HOST\\eve (S-1-5-21-1-2-3-1001), "
              "not an administrator), not by the PermWatch service, SYSTEM or an elevated "
              "administrator");
    // An administrator who did not elevate: Administrators is deny-only.
    f.server_account =
        ProcessAccount{*Sid::parse("S-1-5-21-1-2-3-500"), "HOST\\admin", false, true};
    why = untrusted_pipe_server("p", f);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("an administrator not elevated"), std::string::npos) << *why;
    // Elevated but not in Administrators (another elevated group): not enough.
    f.server_account =
        ProcessAccount{*Sid::parse("S-1-5-21-1-2-3-1002"), "S-1-5-21-1-2-3-1002", true, false};
    why = untrusted_pipe_server("p", f);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("account S-1-5-21-1-2-3-1002, not an administrator"), std::string::npos)
        << *why;
    f.server_account.reset();
    f.server_account_error = "error 5 (Access is denied.)";
    why = untrusted_pipe_server("p", f);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("account unknown: error 5 (Access is denied.)"), std::string::npos) << *why;
}

TEST(PipeTrust, TheRunningServiceIsBelievedWhateverItsAccount) {
    PipeServerFacts f = console_facts("C:\\Tools\\PermWatch\\permwatch.exe");
    f.service_pid = 4242;
    f.server_account.reset();  // the client does not even look
    EXPECT_EQ(untrusted_pipe_server("p", f), std::nullopt);
}

TEST(PipeTrust, ImageOfAServiceCommandLine) {
    EXPECT_EQ(
        image_of_command_line(
            "\"C:\\Program Files\\PermWatch\\permwatch.exe\" run --config \"C:\\x y\\c.json\""),
        "C:\\Program Files\\PermWatch\\permwatch.exe");
    EXPECT_EQ(image_of_command_line("C:\\Program Files\\PermWatch\\permwatch.exe run --config c"),
              "C:\\Program Files\\PermWatch\\permwatch.exe");
    EXPECT_EQ(image_of_command_line("C:\\a.exe.d\\PermWatch.EXE"), "C:\\a.exe.d\\PermWatch.EXE");
    EXPECT_EQ(image_of_command_line("C:\\bin\\svc run"), "C:\\bin\\svc");
    EXPECT_EQ(image_of_command_line("\"C:\\unterminated"), "C:\\unterminated");
    EXPECT_EQ(image_of_command_line(""), "");
}

}  // namespace test_pipe_admission
}  // namespace permwatch
