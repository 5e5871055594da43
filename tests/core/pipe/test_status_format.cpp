#include <gtest/gtest.h>

#include <algorithm>

#include "core/pipe/status_format.hpp"

namespace permwatch {
namespace test_status_format {

using json = nlohmann::json;

std::size_t count_lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(StatusFormat, OneRowPerKeyThenCountersAndCluster) {
    const json status = json::parse(R"({
      "ok": true, "version": "0.1.0", "mode": "enforce",
      "keys": [
        {"path": "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES", "state": "repaired",
         "last_check": "2026-11-26T04:15:00.123Z", "last_repair": "2026-11-26T04:15:00.130Z"},
        {"path": "HKLM\\SOFTWARE\\Example", "state": "compliant",
         "last_check": "2026-11-26T04:15:00.125Z", "last_repair": null}
      ],
      "cluster": {"available": true, "node": "NODE1", "last_event": "2026-11-26T04:00:00.000Z",
                  "failovers_prepared": 2},
      "counters": {"checks": 12, "repairs": 1}
    })");
    const std::string table = format_status_table(status);
    EXPECT_EQ(count_lines(table), 6u) << table;
    EXPECT_NE(table.find("PermWatch 0.1.0, mode enforce, 2 keys\n"), std::string::npos) << table;
    EXPECT_NE(table.find("KEY"), std::string::npos);
    // Columns line up: the state column starts at the same offset in each row.
    const auto row1 = table.find("HKLM\\SYSTEM");
    const auto row2 = table.find("HKLM\\SOFTWARE");
    ASSERT_NE(row1, std::string::npos);
    ASSERT_NE(row2, std::string::npos);
    EXPECT_EQ(table.find("repaired", row1) - row1, table.find("compliant", row2) - row2) << table;
    EXPECT_NE(table.find("2026-11-26T04:15:00.130Z"), std::string::npos);
    EXPECT_NE(table.find("never"), std::string::npos);  // null last_repair
    EXPECT_NE(table.find("counters: checks 12, repairs 1\n"), std::string::npos) << table;
    EXPECT_NE(table.find("cluster: available (node NODE1, failovers prepared 2, last event "
                         "2026-11-26T04:00:00.000Z)\n"),
              std::string::npos)
        << table;
}

TEST(StatusFormat, EachCheckpointedKeySaysWhereItsCheckpointWasLearned) {
    const json status = json::parse(R"({
      "version": "0.1.0", "mode": "enforce",
      "keys": [
        {"path": "HKLM\\SOFTWARE\\A", "state": "compliant",
         "checkpoint": {"resource": "SQL Server", "group": "SQL Group", "source": "RegSync"}},
        {"path": "HKLM\\SOFTWARE\\B", "state": "compliant",
         "checkpoint": {"resource": "Agent", "group": "SQL Group", "source": "control code"}},
        {"path": "HKLM\\SOFTWARE\\C", "state": "compliant",
         "checkpoint": {"resource": "", "group": "", "source": "config"}},
        {"path": "HKLM\\SOFTWARE\\D", "state": "compliant", "checkpoint": null}
      ]
    })");
    const std::string table = format_status_table(status);
    EXPECT_NE(table.find("checkpoints:\n"
                         "  HKLM\\SOFTWARE\\A: resource SQL Server, group SQL Group, from RegSync\n"
                         "  HKLM\\SOFTWARE\\B: resource Agent, group SQL Group, from control code\n"
                         "  HKLM\\SOFTWARE\\C: resource -, group -, from config\n"),
              std::string::npos)
        << table;
    EXPECT_EQ(table.find("HKLM\\SOFTWARE\\D:"), std::string::npos) << table;
    // A status from before the source was reported: the API was the only one.
    const std::string older = format_status_table(json::parse(
        R"({"keys": [{"path": "HKLM\\X", "checkpoint": {"resource": "R", "group": "G"}}]})"));
    EXPECT_NE(older.find("  HKLM\\X: resource R, group G, from control code\n"), std::string::npos)
        << older;
}

TEST(StatusFormat, ClusterUnavailableAndNoKeys) {
    const json status = {{"version", "0.1.0"},
                         {"mode", "audit"},
                         {"keys", json::array()},
                         {"cluster", {{"available", false}}}};
    const std::string table = format_status_table(status);
    EXPECT_EQ(table, "PermWatch 0.1.0, mode audit, 0 keys\ncluster: not available\n");
}

TEST(StatusFormat, OddDocumentsDoNotThrow) {
    for (const char* text : {"null", "[]", "42", R"({"keys": 5})", R"({"keys": [1, null, "x"]})",
                             R"({"keys": [{"checkpoint": 5}, {"checkpoint": {"resource": [1]}}]})",
                             R"({"keys": [{"path": 7, "state": ["a"]}], "counters": []})",
                             R"({"cluster": {"available": "yes"}, "counters": {"x": "y"}})"}) {
        std::string table;
        EXPECT_NO_THROW(table = format_status_table(json::parse(text))) << text;
        EXPECT_EQ(table.rfind("PermWatch ", 0), 0u) << text;
    }
    const std::string one = format_status_table(json::parse(R"({"keys": [{"path": "HKLM\\A"}]})"));
    EXPECT_NE(one.find("1 key\n"), std::string::npos) << one;
    EXPECT_NE(one.find("HKLM\\A  ?      never       never"), std::string::npos) << one;
}

}  // namespace test_status_format
}  // namespace permwatch
