// HLS (RFC 8216) as a tap watches it: what a playlist body says about the stream's progress (media
// sequence, segments, target duration, end), so that a live playlist that stops advancing can be
// told from one that ends; and which HTTP requests are playlists or segments. Pure; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace wcstap::hls {

enum class PlaylistStatus : uint8_t {
  Ok,
  Incomplete,     // the body is (so far) a proper prefix of "#EXTM3U": more bytes may make it one
  NotPlaylist,    // the first line is not #EXTM3U (a byte order mark included: RFC 8216 forbids it)
  BadTagValue,    // a tag read here has a value that does not parse (error_line names it)
  MixedPlaylist,  // both master tags (EXT-X-STREAM-INF) and media segment tags (EXTINF)
};
const char* playlist_status_name(PlaylistStatus s);  // "ok", "hls.not_playlist", ...

enum class PlaylistType : uint8_t { Unset, Event, Vod };

struct Playlist {
  bool master = false;                 // EXT-X-STREAM-INF / EXT-X-I-FRAME-STREAM-INF / EXT-X-MEDIA seen
  uint32_t variants = 0;               // EXT-X-STREAM-INF count
  bool has_target_duration = false;
  uint32_t target_duration = 0;        // s
  bool has_media_sequence = false;     // absent means 0 (RFC 8216 section 4.3.3.2)
  uint64_t media_sequence = 0;
  bool has_discontinuity_sequence = false;
  uint64_t discontinuity_sequence = 0;
  uint32_t segments = 0;               // EXTINF entries
  double total_duration = 0;           // s, the sum of the EXTINF durations
  double longest_segment = 0;          // s; rounded, it must not exceed the target duration
  uint32_t discontinuities = 0;        // EXT-X-DISCONTINUITY tags
  bool endlist = false;                // EXT-X-ENDLIST: no more segments will be added
  PlaylistType type = PlaylistType::Unset;
  std::string_view last_uri;           // the last URI line (a segment, or in a master a variant)
  uint32_t lines = 0;
  uint32_t error_line = 0;             // 1-based line of a BadTagValue, 0 otherwise
};

// A whole playlist body; LF or CRLF line ends. What was read before an error stays in `out`.
PlaylistStatus parse_playlist(std::string_view body, Playlist& out);

enum class PathKind : uint8_t { Playlist, Segment, Other };
// By the extension of an HTTP request path (query string and fragment ignored, case-insensitive):
// .m3u8 / .m3u a playlist; .ts, .m4s, .aac, .mp4 a segment.
PathKind classify_path(std::string_view path);
const char* path_kind_name(PathKind k);  // "playlist", "segment", "other"

}  // namespace wcstap::hls
