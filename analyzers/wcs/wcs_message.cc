#include "wcs/wcs_message.h"

#include <simdjson.h>

#include <cctype>
#include <utility>

#include "websocket/websocket.h"

namespace wcstap {

namespace od = simdjson::ondemand;

static_assert(kWsMessagePadding >= simdjson::SIMDJSON_PADDING,
              "the WebSocket assembler must keep the padding simdjson reads past a message");

struct WcsMessageReader::Impl {
  explicit Impl(size_t capacity) : parser(capacity) {
    ready = parser.allocate(capacity) == simdjson::SUCCESS;
  }
  od::parser parser;
  bool ready = false;
};

namespace {

struct NameEntry {
  std::string_view text;
  WcsMessageName name;
};

constexpr NameEntry kNames[] = {
    {"connection", WcsMessageName::Connection},
    {"publishStream", WcsMessageName::PublishStream},
    {"playStream", WcsMessageName::PlayStream},
    {"unPublishStream", WcsMessageName::UnPublishStream},
    {"stopStream", WcsMessageName::StopStream},
    {"call", WcsMessageName::Call},
    {"answer", WcsMessageName::Answer},
    {"hangup", WcsMessageName::Hangup},
    {"sendDtmf", WcsMessageName::SendDtmf},
    {"pong", WcsMessageName::Pong},
    {"ping", WcsMessageName::Ping},
    {"getUserData", WcsMessageName::GetUserData},
    {"setRemoteSDP", WcsMessageName::SetRemoteSdp},
    {"notifyStreamStatusEvent", WcsMessageName::NotifyStreamStatusEvent},
    {"notifyStreamEvent", WcsMessageName::NotifyStreamEvent},
    {"outboundVideoRate", WcsMessageName::OutboundVideoRate},
    {"inboundVideoRate", WcsMessageName::InboundVideoRate},
    {"fail", WcsMessageName::Fail},
    {"ring", WcsMessageName::Ring},
    {"talk", WcsMessageName::Talk},
    {"finish", WcsMessageName::Finish},
    {"busy", WcsMessageName::Busy},
    {"hold", WcsMessageName::Hold},
    {"notifyTransferEvent", WcsMessageName::NotifyTransferEvent},
    {"notifyIncomingCall", WcsMessageName::NotifyIncomingCall},
    {"notifyTryingResponse", WcsMessageName::NotifyTryingResponse},
    {"registered", WcsMessageName::Registered},
};

// A type mismatch leaves an On-Demand document usable (the value is skipped later); any other
// error means the text is not well-formed JSON.
bool fatal(simdjson::error_code e) { return e != simdjson::SUCCESS && e != simdjson::INCORRECT_TYPE; }

// Keys whose values are secrets or identities: authToken, sipPassword, sipLogin,
// sipAuthenticationName, and the like under other spellings.
bool is_credential_key(std::string_view key) {
  char lower[64];
  const size_t n = key.size() < sizeof lower ? key.size() : sizeof lower;
  for (size_t i = 0; i < n; ++i) lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[i])));
  const std::string_view k(lower, n);
  for (std::string_view word : {"password", "passwd", "token", "secret", "login", "authenticationname"})
    if (k.find(word) != std::string_view::npos) return true;
  return false;
}

// What one walk over a message collects before the name is known (the name may come after data).
struct Collected {
  std::string_view first_string, second_string;  // data[0] / data[1] when they are strings
  std::string_view id;                           // data[0].id
};

// Reads a string value into `dst` when it is one; a value of another type is left alone.
template <size_t N>
simdjson::error_code take_string(od::value& v, WcsText<N>& dst) {
  std::string_view s;
  const simdjson::error_code e = v.get_string().get(s);
  if (e == simdjson::SUCCESS) dst.assign(s);
  return e;
}

// One element of the data array. Fields are taken from element 0 only; every object element is
// looked at for credential keys, whose values are skipped unread.
simdjson::error_code read_element(od::value& el, uint32_t index, WcsMessage& m, Collected& c) {
  od::json_type type;
  if (auto e = el.type().get(type)) return e;
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = el.get_string().get(s)) return e;
    if (index == 0) c.first_string = s;
    if (index == 1) c.second_string = s;
    return simdjson::SUCCESS;
  }
  if (type != od::json_type::object) return simdjson::SUCCESS;  // skipped by the array's iterator
  od::object obj;
  if (auto e = el.get_object().get(obj)) return e;
  for (auto field : obj) {
    od::field f;
    if (auto e = std::move(field).get(f)) return e;
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return e;
    if (is_credential_key(key)) {
      m.has_credentials = true;
      continue;  // the value is skipped, never unescaped
    }
    if (index != 0) continue;
    od::value v = f.value();
    simdjson::error_code e = simdjson::SUCCESS;
    if (key == "mediaSessionId") {
      e = take_string(v, m.media_session_id);
    } else if (key == "name") {
      e = take_string(v, m.stream_name);
    } else if (key == "status") {
      e = take_string(v, m.status);
    } else if (key == "info") {
      e = take_string(v, m.info);
    } else if (key == "callId") {
      e = take_string(v, m.call_id);
    } else if (key == "appKey") {
      e = take_string(v, m.app_key);
    } else if (key == "apiMethod") {
      e = take_string(v, m.api_method);
    } else if (key == "sdp") {
      std::string_view s;
      e = v.get_string().get(s);
      if (!e) m.sdp = s;
    } else if (key == "id") {
      std::string_view s;
      e = v.get_string().get(s);
      if (!e) c.id = s;
    }
    if (fatal(e)) return e;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_data(od::value& data, WcsMessage& m, Collected& c) {
  od::json_type type;
  if (auto e = data.type().get(type)) return e;
  if (type == od::json_type::object) {
    m.data_elements = 1;
    return read_element(data, 0, m, c);
  }
  if (type != od::json_type::array) return simdjson::SUCCESS;
  od::array arr;
  if (auto e = data.get_array().get(arr)) return e;
  uint32_t index = 0;
  for (auto element : arr) {
    od::value el;
    if (auto e = std::move(element).get(el)) return e;
    if (auto e = read_element(el, index, m, c); fatal(e)) return e;
    ++index;
  }
  m.data_elements = index;
  return simdjson::SUCCESS;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// On-Demand stops reading after the root value: whatever follows it ("{...} garbage") is only
// seen by asking whether the iterator reached the end (simdjson 3.0 has no document::at_end()).
bool at_end(od::document& doc) { return doc.current_location().error() == simdjson::OUT_OF_BOUNDS; }

// A document whose root is not an object: valid JSON (then NotWcs) or not.
WcsReadStatus classify_other(od::document& doc, od::json_type type) {
  simdjson::error_code e = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::array: {
      od::array arr;
      e = doc.get_array().get(arr);
      if (!e) {
        for (auto element : arr) {
          od::value el;
          if ((e = std::move(element).get(el))) break;
        }
      }
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      e = doc.get_string().get(s);
      break;
    }
    case od::json_type::number: {
      double d;
      e = doc.get_double().get(d);
      if (e == simdjson::NUMBER_OUT_OF_RANGE) e = simdjson::SUCCESS;  // valid JSON all the same
      break;
    }
    case od::json_type::boolean: {
      bool b;
      e = doc.get_bool().get(b);
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      e = doc.is_null().get(is_null);
      if (!e && !is_null) e = simdjson::INCORRECT_TYPE;
      break;
    }
    default:
      e = simdjson::TAPE_ERROR;
      break;
  }
  if (e || !at_end(doc)) return WcsReadStatus::NotJson;
  return WcsReadStatus::NotWcs;
}

}  // namespace

WcsMessageReader::WcsMessageReader(size_t capacity)
    : impl_(std::make_unique<Impl>(capacity)), capacity_(capacity) {}

WcsMessageReader::~WcsMessageReader() = default;

bool WcsMessageReader::ready() const { return impl_->ready; }

WcsReadStatus WcsMessageReader::read(Bytes json, WcsMessage& m) {
  m = WcsMessage{};
  const WcsReadStatus st = read_into(json, m);
  if (st != WcsReadStatus::Ok) m = WcsMessage{};  // nothing half-read is left behind
  return st;
}

WcsReadStatus WcsMessageReader::read_into(Bytes json, WcsMessage& m) {
  if (!impl_->ready) return WcsReadStatus::NotJson;
  if (json.size() > capacity_) return WcsReadStatus::TooLarge;
  od::document doc;
  const simdjson::error_code ie =
      impl_->parser.iterate(json.data(), json.size(), json.size() + simdjson::SIMDJSON_PADDING).get(doc);
  if (ie == simdjson::CAPACITY) return WcsReadStatus::TooLarge;
  if (ie) return WcsReadStatus::NotJson;
  od::json_type type;
  if (doc.type().get(type)) return WcsReadStatus::NotJson;
  if (type != od::json_type::object) return classify_other(doc, type);

  od::object root;
  if (doc.get_object().get(root)) return WcsReadStatus::NotJson;
  Collected c;
  bool has_message = false;
  for (auto field : root) {
    od::field f;
    if (std::move(field).get(f)) return WcsReadStatus::NotJson;
    std::string_view key;
    if (f.unescaped_key().get(key)) return WcsReadStatus::NotJson;
    od::value v = f.value();
    if (key == "message" && !has_message) {
      std::string_view name;
      const simdjson::error_code e = v.get_string().get(name);
      if (fatal(e)) return WcsReadStatus::NotJson;
      if (!e) {
        has_message = true;
        m.message.assign(name);
        m.name = wcs_message_name_from(name);
      }
    } else if (key == "data") {
      if (fatal(read_data(v, m, c))) return WcsReadStatus::NotJson;
    }
  }
  if (!at_end(doc)) return WcsReadStatus::NotJson;  // something after the root object
  if (!has_message) return WcsReadStatus::NotWcs;
  if (m.name == WcsMessageName::SetRemoteSdp) {
    // WCS sends {"message":"setRemoteSDP","data":[mediaSessionId, sdp, ...]}; the SDK trims the id.
    if (m.media_session_id.empty() && !c.first_string.empty()) m.media_session_id.assign(trim(c.first_string));
    if (m.sdp.empty()) m.sdp = c.second_string;
  }
  if (m.name == WcsMessageName::Fail && m.media_session_id.empty() && m.api_method.view() == "StreamStatusEvent")
    m.media_session_id.assign(c.id);
  return WcsReadStatus::Ok;
}

const char* wcs_message_name(WcsMessageName n) {
  for (const NameEntry& e : kNames)
    if (e.name == n) return e.text.data();  // the table's literals are NUL-terminated
  return "other";
}

WcsMessageName wcs_message_name_from(std::string_view s) {
  for (const NameEntry& e : kNames)
    if (e.text == s) return e.name;
  return WcsMessageName::Other;
}

const char* wcs_read_status_name(WcsReadStatus s) {
  switch (s) {
    case WcsReadStatus::Ok: return "ok";
    case WcsReadStatus::NotJson: return "not_json";
    case WcsReadStatus::NotWcs: return "not_wcs";
    case WcsReadStatus::TooLarge: return "too_large";
  }
  return "other";
}

}  // namespace wcstap
