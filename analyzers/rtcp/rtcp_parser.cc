#include "rtcp/rtcp_parser.h"

namespace wcstap {

bool looks_like_rtcp(Bytes p) {
  if (p.size() < 8 || (p[0] >> 6) != 2 || p[1] < 192 || p[1] > 223) return false;
  return (size_t{be16(&p[2])} + 1) * 4 <= p.size();
}

}  // namespace wcstap
