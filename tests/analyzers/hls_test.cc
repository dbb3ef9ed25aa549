// HLS playlists (RFC 8216) and request paths, on constructed playlists: a live sliding window, a
// VOD with ENDLIST, a master, CRLF line ends, and garbage.
#include "hls/hls.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace wcstap::hls {
namespace {

// A live window as WCS serves it: three segments, the window has slid to 2680.
const std::string kLive =
    "#EXTM3U\n"
    "#EXT-X-VERSION:3\n"
    "#EXT-X-TARGETDURATION:6\n"
    "#EXT-X-MEDIA-SEQUENCE:2680\n"
    "\n"
    "#EXTINF:5.005,\n"
    "test-2680.ts\n"
    "#EXTINF:6.006,\n"
    "test-2681.ts\n"
    "# a comment\n"
    "#EXTINF:4.5,title\n"
    "test-2682.ts?session=1\n";

const std::string kVod =
    "#EXTM3U\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXT-X-TARGETDURATION:10\n"
    "#EXT-X-DISCONTINUITY-SEQUENCE:2\n"
    "#EXTINF:10,\n"
    "http://media.example.com/first.ts\n"
    "#EXT-X-DISCONTINUITY\n"
    "#EXTINF:9.5,\n"
    "http://media.example.com/second.ts\n"
    "#EXT-X-ENDLIST\n";

const std::string kMaster =
    "#EXTM3U\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",NAME=\"en\",URI=\"audio.m3u8\"\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000\n"
    "low/index.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=2560000,RESOLUTION=1280x720\n"
    "mid/index.m3u8\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI=\"low/iframe.m3u8\"\n";

TEST(Hls, LiveSlidingWindow) {
  Playlist p;
  ASSERT_EQ(parse_playlist(kLive, p), PlaylistStatus::Ok);
  EXPECT_FALSE(p.master);
  ASSERT_TRUE(p.has_target_duration);
  EXPECT_EQ(p.target_duration, 6u);
  ASSERT_TRUE(p.has_media_sequence);
  EXPECT_EQ(p.media_sequence, 2680u);
  EXPECT_FALSE(p.has_discontinuity_sequence);
  EXPECT_EQ(p.segments, 3u);
  EXPECT_NEAR(p.total_duration, 15.511, 1e-9);
  EXPECT_NEAR(p.longest_segment, 6.006, 1e-9);
  EXPECT_FALSE(p.endlist);
  EXPECT_EQ(p.type, PlaylistType::Unset);
  EXPECT_EQ(p.last_uri, "test-2682.ts?session=1");
  EXPECT_EQ(p.lines, 12u);
}

TEST(Hls, VodWithEndlist) {
  Playlist p;
  ASSERT_EQ(parse_playlist(kVod, p), PlaylistStatus::Ok);
  EXPECT_EQ(p.type, PlaylistType::Vod);
  EXPECT_TRUE(p.endlist);
  EXPECT_EQ(p.segments, 2u);
  EXPECT_DOUBLE_EQ(p.total_duration, 19.5);
  EXPECT_EQ(p.discontinuity_sequence, 2u);
  EXPECT_EQ(p.discontinuities, 1u);
  EXPECT_FALSE(p.has_media_sequence);  // 0 by default
  EXPECT_EQ(p.last_uri, "http://media.example.com/second.ts");
}

TEST(Hls, EventPlaylistType) {
  Playlist p;
  ASSERT_EQ(parse_playlist("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n", p), PlaylistStatus::Ok);
  EXPECT_EQ(p.type, PlaylistType::Event);
}

TEST(Hls, MasterPlaylist) {
  Playlist p;
  ASSERT_EQ(parse_playlist(kMaster, p), PlaylistStatus::Ok);
  EXPECT_TRUE(p.master);
  EXPECT_EQ(p.variants, 2u);
  EXPECT_EQ(p.segments, 0u);
  EXPECT_EQ(p.last_uri, "mid/index.m3u8");
}

TEST(Hls, CrlfLineEndsReadAlike) {
  std::string crlf;
  for (char c : kLive) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  Playlist a, b;
  ASSERT_EQ(parse_playlist(kLive, a), PlaylistStatus::Ok);
  ASSERT_EQ(parse_playlist(crlf, b), PlaylistStatus::Ok);
  EXPECT_EQ(b.segments, a.segments);
  EXPECT_EQ(b.media_sequence, a.media_sequence);
  EXPECT_EQ(b.target_duration, a.target_duration);
  EXPECT_DOUBLE_EQ(b.total_duration, a.total_duration);
  EXPECT_EQ(b.last_uri, "test-2682.ts?session=1");  // no '\r' left on it
}

TEST(Hls, NoFinalNewline) {
  Playlist p;
  ASSERT_EQ(parse_playlist("#EXTM3U\n#EXTINF:2,\nseg.ts", p), PlaylistStatus::Ok);
  EXPECT_EQ(p.last_uri, "seg.ts");
  ASSERT_EQ(parse_playlist("#EXTM3U", p), PlaylistStatus::Ok);
  EXPECT_EQ(p.segments, 0u);
}

TEST(Hls, GarbageIsNotAPlaylist) {
  Playlist p;
  EXPECT_EQ(parse_playlist("<html><body>404 Not Found</body></html>", p), PlaylistStatus::NotPlaylist);
  EXPECT_EQ(parse_playlist("#EXTM3U8\n", p), PlaylistStatus::NotPlaylist);
  EXPECT_EQ(parse_playlist("\xef\xbb\xbf#EXTM3U\n", p), PlaylistStatus::NotPlaylist);  // BOM
  EXPECT_EQ(parse_playlist("\n#EXTM3U\n", p), PlaylistStatus::NotPlaylist);
  EXPECT_STREQ(playlist_status_name(PlaylistStatus::NotPlaylist), "hls.not_playlist");
}

TEST(Hls, APrefixOfTheHeaderIsIncomplete) {
  Playlist p;
  EXPECT_EQ(parse_playlist("", p), PlaylistStatus::Incomplete);
  EXPECT_EQ(parse_playlist("#EXT", p), PlaylistStatus::Incomplete);
  EXPECT_EQ(parse_playlist("#EXX", p), PlaylistStatus::NotPlaylist);
}

TEST(Hls, BadTagValuesNameTheirLine) {
  Playlist p;
  EXPECT_EQ(parse_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:six\n", p), PlaylistStatus::BadTagValue);
  EXPECT_EQ(p.error_line, 2u);
  EXPECT_EQ(parse_playlist("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-1\n", p), PlaylistStatus::BadTagValue);
  EXPECT_EQ(parse_playlist("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:99999999999999999999999\n", p),
            PlaylistStatus::BadTagValue);
  EXPECT_EQ(parse_playlist("#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:nan,\n", p), PlaylistStatus::BadTagValue);
  EXPECT_EQ(p.error_line, 4u);
  EXPECT_EQ(p.segments, 1u);  // what came before stands
  EXPECT_EQ(parse_playlist("#EXTM3U\n#EXTINF:-2,\n", p), PlaylistStatus::BadTagValue);
  EXPECT_EQ(parse_playlist("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:LIVE\n", p), PlaylistStatus::BadTagValue);
}

TEST(Hls, MasterAndMediaTagsTogetherAreRefused) {
  Playlist p;
  EXPECT_EQ(parse_playlist(kMaster + "#EXTINF:2,\nx.ts\n", p), PlaylistStatus::MixedPlaylist);
}

TEST(Hls, EveryTruncationIsSafe) {
  for (const std::string* s : {&kLive, &kVod, &kMaster}) {
    for (size_t n = 0; n <= s->size(); ++n) {
      Playlist p;
      const PlaylistStatus st = parse_playlist(std::string_view(*s).substr(0, n), p);
      // A cut inside a tag's value may leave a bad value ("#EXTINF:" with nothing after it).
      ASSERT_TRUE(st == PlaylistStatus::Ok || st == PlaylistStatus::Incomplete || st == PlaylistStatus::BadTagValue)
          << n;
      if (n < 7) {
        ASSERT_EQ(st, PlaylistStatus::Incomplete);
      }
    }
  }
}

TEST(Hls, RandomAndFlippedBodiesAreSafe) {
  std::mt19937 rng(8216);
  const std::string alphabet = "#EXTINF:-XTARGETDURATION0123456789.,\r\n ats?";
  int ok = 0;
  for (int run = 0; run < 3000; ++run) {
    std::string s;
    if (run % 2) {
      s = run % 4 == 1 ? kLive : kVod;
      for (int k = 0; k < 3; ++k) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
    } else {
      s = "#EXTM3U\n";
      const size_t n = rng() % 200;
      for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    }
    Playlist p;
    const PlaylistStatus st = parse_playlist(s, p);
    ASSERT_LE(static_cast<int>(st), static_cast<int>(PlaylistStatus::MixedPlaylist));
    ASSERT_LE(p.lines, s.size() + 1);
    ok += st == PlaylistStatus::Ok;
  }
  EXPECT_GT(ok, 0);
}

TEST(HlsPath, PlaylistsAndSegments) {
  EXPECT_EQ(classify_path("/live/stream1/stream1.m3u8"), PathKind::Playlist);
  EXPECT_EQ(classify_path("/live/stream1.M3U8?token=abc"), PathKind::Playlist);
  EXPECT_EQ(classify_path("/list.m3u"), PathKind::Playlist);
  EXPECT_EQ(classify_path("/stream1/test-2680.ts"), PathKind::Segment);
  EXPECT_EQ(classify_path("/a/seg-7.m4s?x=1#frag"), PathKind::Segment);
  EXPECT_EQ(classify_path("/a/audio.aac"), PathKind::Segment);
  EXPECT_EQ(classify_path("/a/init.mp4"), PathKind::Segment);
  EXPECT_STREQ(path_kind_name(classify_path("/x.ts")), "segment");
}

TEST(HlsPath, OtherPaths) {
  EXPECT_EQ(classify_path("/rest-api/stream/find"), PathKind::Other);
  EXPECT_EQ(classify_path("/index.html?f=a.m3u8"), PathKind::Other);  // the query does not count
  EXPECT_EQ(classify_path("/ts"), PathKind::Other);
  EXPECT_EQ(classify_path(""), PathKind::Other);
  EXPECT_EQ(classify_path("?.m3u8"), PathKind::Other);
}

}  // namespace
}  // namespace wcstap::hls
