#include "hls/hls.h"

#include <charconv>
#include <cmath>

namespace wcstap::hls {

namespace {

constexpr std::string_view kHeader = "#EXTM3U";

// The next line of `rest` without its LF or CRLF; `rest` moves past it.
std::string_view take_line(std::string_view& rest) {
  const size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view trim_trailing_space(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// decimal-integer (RFC 8216 section 4.2): digits only, the whole value.
template <class T>
bool parse_integer(std::string_view s, T& out) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

// decimal-floating-point: non-negative, finite; from_chars is locale-free.
bool parse_duration(std::string_view s, double& out) {
  if (s.empty() || ((s[0] < '0' || s[0] > '9') && s[0] != '.')) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::fixed);
  return ec == std::errc{} && p == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

PlaylistStatus parse_playlist(std::string_view body, Playlist& out) {
  out = Playlist{};
  if (body.size() < kHeader.size()) {
    return kHeader.substr(0, body.size()) == body ? PlaylistStatus::Incomplete : PlaylistStatus::NotPlaylist;
  }
  std::string_view rest = body;
  if (trim_trailing_space(take_line(rest)) != kHeader) return PlaylistStatus::NotPlaylist;
  out.lines = 1;
  const auto bad = [&out]() {
    out.error_line = out.lines;
    return PlaylistStatus::BadTagValue;
  };
  while (!rest.empty()) {
    const std::string_view line = trim_trailing_space(take_line(rest));
    ++out.lines;
    if (line.empty()) continue;
    if (line[0] != '#') {
      out.last_uri = line;
      continue;
    }
    if (line.substr(0, 4) != "#EXT") continue;  // a comment
    const size_t colon = line.find(':');
    const std::string_view tag = line.substr(1, colon == std::string_view::npos ? line.npos : colon - 1);
    const std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (tag == "EXTINF") {
      double d = 0;
      if (!parse_duration(value.substr(0, value.find(',')), d)) return bad();
      ++out.segments;
      out.total_duration += d;
      if (d > out.longest_segment) out.longest_segment = d;
    } else if (tag == "EXT-X-TARGETDURATION") {
      if (!parse_integer(value, out.target_duration)) return bad();
      out.has_target_duration = true;
    } else if (tag == "EXT-X-MEDIA-SEQUENCE") {
      if (!parse_integer(value, out.media_sequence)) return bad();
      out.has_media_sequence = true;
    } else if (tag == "EXT-X-DISCONTINUITY-SEQUENCE") {
      if (!parse_integer(value, out.discontinuity_sequence)) return bad();
      out.has_discontinuity_sequence = true;
    } else if (tag == "EXT-X-DISCONTINUITY") {
      ++out.discontinuities;
    } else if (tag == "EXT-X-ENDLIST") {
      out.endlist = true;
    } else if (tag == "EXT-X-PLAYLIST-TYPE") {
      if (value == "EVENT")
        out.type = PlaylistType::Event;
      else if (value == "VOD")
        out.type = PlaylistType::Vod;
      else
        return bad();
    } else if (tag == "EXT-X-STREAM-INF") {
      out.master = true;
      ++out.variants;
    } else if (tag == "EXT-X-I-FRAME-STREAM-INF" || tag == "EXT-X-MEDIA") {
      out.master = true;
    }
  }
  if (out.master && out.segments > 0) return PlaylistStatus::MixedPlaylist;
  return PlaylistStatus::Ok;
}

const char* playlist_status_name(PlaylistStatus s) {
  switch (s) {
    case PlaylistStatus::Ok: return "ok";
    case PlaylistStatus::Incomplete: return "incomplete";
    case PlaylistStatus::NotPlaylist: return "hls.not_playlist";
    case PlaylistStatus::BadTagValue: return "hls.bad_tag_value";
    case PlaylistStatus::MixedPlaylist: return "hls.mixed_playlist";
  }
  return "unknown";
}

namespace {

bool ends_with_nocase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

PathKind classify_path(std::string_view path) {
  path = path.substr(0, path.find_first_of("?#"));
  for (std::string_view ext : {".m3u8", ".m3u"})
    if (ends_with_nocase(path, ext)) return PathKind::Playlist;
  for (std::string_view ext : {".ts", ".m4s", ".aac", ".mp4"})
    if (ends_with_nocase(path, ext)) return PathKind::Segment;
  return PathKind::Other;
}

const char* path_kind_name(PathKind k) {
  switch (k) {
    case PathKind::Playlist: return "playlist";
    case PathKind::Segment: return "segment";
    case PathKind::Other: return "other";
  }
  return "other";
}

}  // namespace wcstap::hls
