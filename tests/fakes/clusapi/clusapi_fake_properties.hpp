// TEST FAKE clusapi.dll: what ClusterResourceControl answers about a
// resource's kind: its type name (CLUSCTL_RESOURCE_GET_RESOURCE_TYPE) and its
// private properties (CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES), as the
// Cluster service would for a Generic Service or a Generic Application.
//
// The list is written here byte by byte, from Microsoft's description of the
// format (core/cluster/property_list.hpp's header sums it up), by code of the
// fake's own: were it made with core's parser in mind, a slip in the parser
// would be copied into what tests it. Only the clusprop:: syntax numbers are
// taken from core (they are clusapi.h's, declared once).
#pragma once

#include <windows.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/cluster/property_list.hpp"
#include "tests/fakes/clusapi/clussim_state.hpp"

namespace fake {

// The control codes, written out from clusapi.h (CLUSCTL_RESOURCE_CODE of
// CLCTL_EXTERNAL_CODE(n, CLUS_ACCESS_READ, CLUS_NO_MODIFY)) rather than taken
// from service/, for the same reason as the list.
inline constexpr DWORD kCtlResourceGetResourceType = 0x0100002D;       // n = 11
inline constexpr DWORD kCtlResourceGetPrivateProperties = 0x01000081;  // n = 32

// A property list being written: a DWORD count, then per property its name
// entry, one value entry and the property's ENDMARK. Every name and value's
// data is padded with zeros to a 4-byte boundary; the lengths count no padding.
class PropertyListWriter {
public:
    PropertyListWriter() { put_dword(0); }

    void sz(const wchar_t* name, const std::wstring& text) {
        value(name, permwatch::clusprop::kSyntaxListValueSz, wide_bytes(text));
    }
    void dword(const wchar_t* name, DWORD number) {
        std::vector<BYTE> data(4);
        for (int i = 0; i < 4; ++i) data[i] = static_cast<BYTE>(number >> (8 * i));
        value(name, permwatch::clusprop::kSyntaxListValueDword, data);
    }

    // The list as written, or made malformed in one of the ways of
    // clussim::kHostileList* (0: as written). A way that needs a property
    // (past-end, no-endmark) leaves a list without one as it is.
    std::vector<BYTE> bytes(DWORD hostile) const {
        std::vector<BYTE> out = bytes_;
        const bool has_property = count_ > 0;
        if (hostile == clussim::kHostileListPastEnd && has_property) {
            // The last value claims 4 KiB more data than the buffer has left.
            const DWORD left = static_cast<DWORD>(out.size() - last_value_data_);
            set_dword(out, last_value_length_, left + 4096);
        } else if (hostile == clussim::kHostileListNoEndmark && has_property) {
            out.resize(out.size() - 4);  // the last property's ENDMARK
        } else if (hostile == clussim::kHostileListHugeCount) {
            set_dword(out, 0, 0x7FFFFFFF);
        }
        return out;
    }

    // A NUL-terminated UTF-16 string's bytes, its NUL included.
    static std::vector<BYTE> wide_bytes(const std::wstring& text) {
        std::vector<BYTE> out;
        for (const wchar_t c : text) {
            out.push_back(static_cast<BYTE>(c & 0xFF));
            out.push_back(static_cast<BYTE>((c >> 8) & 0xFF));
        }
        out.push_back(0);
        out.push_back(0);
        return out;
    }

private:
    void value(const wchar_t* name, std::uint32_t syntax, const std::vector<BYTE>& data) {
        entry(permwatch::clusprop::kSyntaxName, wide_bytes(name));
        last_value_length_ = bytes_.size() + 4;
        last_value_data_ = bytes_.size() + 8;
        entry(syntax, data);
        put_dword(permwatch::clusprop::kSyntaxEndmark);
        set_dword(bytes_, 0, ++count_);
    }
    void entry(std::uint32_t syntax, const std::vector<BYTE>& data) {
        put_dword(syntax);
        put_dword(static_cast<DWORD>(data.size()));
        bytes_.insert(bytes_.end(), data.begin(), data.end());
        while (bytes_.size() % 4 != 0) bytes_.push_back(0);
    }
    void put_dword(DWORD v) {
        bytes_.resize(bytes_.size() + 4);
        set_dword(bytes_, bytes_.size() - 4, v);
    }
    static void set_dword(std::vector<BYTE>& b, size_t at, DWORD v) {
        for (int i = 0; i < 4; ++i) b[at + i] = static_cast<BYTE>(v >> (8 * i));
    }

    std::vector<BYTE> bytes_;
    DWORD count_ = 0;
    size_t last_value_length_ = 0;
    size_t last_value_data_ = 0;
};

// The resource's type name as its answer holds it (NUL-terminated UTF-16).
inline std::vector<BYTE> resource_type_answer(const clussim::Resource& r) {
    return PropertyListWriter::wide_bytes(r.type[0] ? r.type : clussim::kGenericApplication);
}

// The resource's private properties, as its resource DLL declares them
// (learn.microsoft.com, "Generic Service private properties" and "Generic
// Application private properties"), made malformed as `hostile` says. A caller
// must look them up by name: Windows promises no order. Other types: an
// empty list (count 0), as a resource type without private properties has.
inline std::vector<BYTE> private_properties_answer(const clussim::Resource& r, DWORD hostile) {
    PropertyListWriter list;
    if (clussim::same(r.type, clussim::kGenericService)) {
        list.sz(L"ServiceName", r.service_name);
        list.sz(L"StartupParameters", L"");
        list.dword(L"UseNetworkName", 0);
    } else if (!r.type[0] || clussim::same(r.type, clussim::kGenericApplication)) {
        list.sz(L"CommandLine", L"C:\\Program Files\\App\\app.exe");
        list.sz(L"CurrentDirectory", L"C:\\Program Files\\App");
        list.dword(L"InteractWithDesktop", 0);
        list.dword(L"UseNetworkName", 0);
    }
    return list.bytes(hostile);
}

}  // namespace fake
