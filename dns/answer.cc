// The query path: classify the question name, look it up in the zone, write the reply.
#include "dns/answer.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "dns/wire/response_writer.h"
#include "dns/wire/wire.h"

namespace beacon::dns {
namespace {

constexpr std::string_view kInAddrArpa{"\7in-addr\4arpa\0", 14};
constexpr std::string_view kIp6Arpa{"\3ip6\4arpa\0", 10};
constexpr std::string_view kNsLabel{"\2ns", 3};
constexpr std::string_view kHostmasterLabel{"\12hostmaster", 11};
constexpr size_t kOptSize = 11;

// Everything one reply needs while it is being built.
class Responder {
 public:
  Responder(const Zone& zone, Scratch& s, const uint8_t* req, Transport t, uint8_t* out, size_t cap) noexcept
      : zone_(zone), set_(*zone.settings), s_(s), q_(s.query), req_(req), transport_(t), out_(out), cap_(cap),
        rw_(out, cap, limit_for(t, cap), s.query.has_edns ? kOptSize : 0) {}

  // A reply with no records: FORMERR, NOTIMP, REFUSED, BADVERS.
  Result error(uint16_t rcode, Outcome outcome) noexcept {
    start(false, q_.has_question);
    return finish(rcode, outcome);
  }
  Result run() noexcept;

 private:
  size_t limit_for(Transport t, size_t cap) const noexcept {
    size_t limit = kMaxUdpPlain;
    if (t == Transport::tcp) limit = kMaxMessage;
    else if (q_.has_edns)
      limit = std::max<size_t>(kMaxUdpPlain, std::min<size_t>(q_.edns_udp_size, set_.max_udp_size));
    return std::min(limit, cap);
  }

  void start(bool authoritative, bool with_question) noexcept {
    uint16_t flags = kFlagQr | (q_.flags & (kOpcodeMask | kFlagRd | kFlagCd));
    if (authoritative) flags |= kFlagAa;
    if (set_.recursion_available) flags |= kFlagRa;
    rw_.start(q_.id, flags, req_ + kHeaderSize, with_question ? q_.question_end - kHeaderSize : 0);
  }

  Result finish(uint16_t rcode, Outcome outcome) noexcept {
    if (q_.has_edns) rw_.add_opt(set_.edns_udp_size, rcode);
    if (truncated_ && transport_ == Transport::udp && set_.enable_truncate) rw_.add_flags(kFlagTc);
    return Result{rw_.finish(rcode), outcome, truncated_};
  }

  std::string_view label(size_t i) const noexcept {
    const uint8_t* p = q_.lower + q_.label_off[i];
    return {reinterpret_cast<const char*>(p + 1), p[0]};
  }
  // The index of the first label of `suffix` (a wire name) in the question, or -1.
  int match_suffix(std::string_view suffix) const noexcept {
    if (suffix.size() < 2 || suffix.size() > q_.qname_len) return -1;
    size_t at = q_.qname_len - suffix.size();
    if (std::memcmp(q_.lower + at, suffix.data(), suffix.size()) != 0) return -1;
    for (int i = 0; i < q_.label_count; ++i)
      if (q_.label_off[i] == at) return i;
    return -1;
  }

  NameRef apex() const noexcept { return {{}, domain_at_, domain_}; }
  NameRef in_domain(std::string_view labels) const noexcept { return {labels, domain_at_, domain_}; }
  void add_soa(Section s) noexcept;
  void add_ns(Section s) noexcept;
  void add_ns_glue() noexcept;
  Result negative(uint16_t rcode, Outcome outcome) noexcept {
    add_soa(Section::authority);
    return finish(rcode, outcome);
  }
  Result positive() noexcept {
    if (rw_.count(Section::answer) == 0) return negative(kRcodeNoError, Outcome::nodata);
    return finish(kRcodeNoError, Outcome::answer);
  }

  Result answer_in_zone(size_t first_domain_label) noexcept;
  Result answer_keyword(size_t kw, bool rfc2782) noexcept;  // after the locality was checked
  Result answer_service(size_t parts_end, bool rfc2782) noexcept;
  Result answer_node(size_t parts_end) noexcept;
  Result answer_addr(size_t parts_end) noexcept;
  Result answer_reverse(bool v6, size_t first_arpa_label) noexcept;

  // Write the candidates `idx` shuffled; when they do not all fit, write them again in the
  // canonical order instead (sort_canonical), so every cut of one set is the same subset.
  void write_records(const ServiceEntry& e, const std::vector<uint32_t>& idx, uint16_t type,
                     uint32_t& budget) noexcept;
  void write_srv(const ServiceEntry& e, const std::vector<uint32_t>& idx, uint32_t budget) noexcept;
  // One pass over s_.order, shuffled or as it is. False when a record did not fit.
  bool put_records(const ServiceEntry& e, uint16_t type, uint32_t& budget, bool shuffled) noexcept;
  bool put_srv(const ServiceEntry& e, uint32_t budget, bool shuffled) noexcept;
  // Sorts s_.order by what the records hold (SRV target and port, TXT rdata, address), not
  // by instance index, which depends on the order of registrations and builds.
  void sort_canonical(const ServiceEntry& e, uint16_t type) noexcept;
  // The i-th element of a lazily shuffled copy of the candidates (Fisher-Yates, one step).
  uint32_t pick(size_t i) noexcept {
    size_t j = i + s_.random_below(static_cast<uint32_t>(s_.order.size() - i));
    std::swap(s_.order[i], s_.order[j]);
    return s_.order[i];
  }
  uint32_t answer_cap(bool address_records) const noexcept {
    uint32_t cap = UINT32_MAX;
    if (transport_ == Transport::udp && !q_.has_edns && set_.udp_answer_limit) cap = set_.udp_answer_limit;
    if (address_records && set_.a_record_limit) cap = std::min(cap, set_.a_record_limit);
    return cap;
  }

  const Zone& zone_;
  const ZoneSettings& set_;
  Scratch& s_;
  Query& q_;
  const uint8_t* req_;
  Transport transport_;
  uint8_t* out_;
  size_t cap_;
  ResponseWriter rw_;
  std::string_view domain_;          // the domain the reply uses (wire, lower case)
  uint16_t domain_at_ = kNoPointer;  // where that domain is already written in the reply
  bool truncated_ = false;
};

void Responder::add_soa(Section s) noexcept {
  size_t owner_at = rw_.size();
  bool owner_full = domain_at_ == kNoPointer;
  uint16_t ptr = owner_full ? static_cast<uint16_t>(owner_at) : domain_at_;
  bool ok = rw_.add(s, apex(), kTypeSoa, set_.soa_min_ttl, [&](WireWriter& w) {
    w.bytes(kNsLabel);
    w.pointer(ptr);
    w.bytes(kHostmasterLabel);
    w.pointer(ptr);
    w.u32(zone_.serial);
    w.u32(set_.soa_refresh);
    w.u32(set_.soa_retry);
    w.u32(set_.soa_expire);
    w.u32(set_.soa_min_ttl);
  });
  if (ok && owner_full) domain_at_ = ptr;
}

void Responder::add_ns(Section s) noexcept {
  rw_.add(s, apex(), kTypeNs, set_.node_ttl, [&](WireWriter& w) {
    w.bytes(set_.ns_target);
    w.pointer(domain_at_);
  });
}

void Responder::add_ns_glue() noexcept {
  if (set_.ns_family) rw_.add_address(Section::additional, in_domain(set_.ns_target), set_.node_ttl,
                                      set_.ns_family, set_.ns_addr);
}

Result Responder::run() noexcept {
  if (q_.has_edns && q_.edns_version > 0) return error(kRcodeBadVers, Outcome::badvers);
  if (q_.qclass != kClassIn && q_.qclass != kClassAny) return error(kRcodeRefused, Outcome::refused);
  if (q_.qtype == kTypeAxfr || q_.qtype == kTypeIxfr) return error(kRcodeNotImp, Outcome::notimp);

  // The longer domain first, so that a domain below the other one wins.
  std::string_view d1 = set_.domain, d2 = set_.alt_domain;
  if (d2.size() > d1.size()) std::swap(d1, d2);
  int at = match_suffix(d1);
  domain_ = d1;
  if (at < 0 && !d2.empty()) {
    at = match_suffix(d2);
    domain_ = d2;
  }
  if (at >= 0) {
    domain_at_ = static_cast<uint16_t>(kHeaderSize + q_.label_off[at]);
    return answer_in_zone(static_cast<size_t>(at));
  }
  domain_ = set_.domain;  // reverse answers always name the primary domain
  if ((at = match_suffix(kInAddrArpa)) >= 0) return answer_reverse(false, static_cast<size_t>(at));
  if ((at = match_suffix(kIp6Arpa)) >= 0) return answer_reverse(true, static_cast<size_t>(at));
  if (set_.recursion_available) return Result{0, Outcome::recurse, false};
  return error(kRcodeRefused, Outcome::refused);
}

Result Responder::answer_in_zone(size_t n) noexcept {
  start(true, true);
  // SOA and NS are answered from the apex for any name in the zone, as Consul does.
  if (q_.qtype == kTypeSoa) {
    add_soa(Section::answer);
    add_ns(Section::authority);
    add_ns_glue();
    return finish(kRcodeNoError, Outcome::answer);
  }
  if (q_.qtype == kTypeNs) {
    add_ns(Section::answer);
    add_ns_glue();
    return finish(kRcodeNoError, Outcome::answer);
  }
  if (n == 0) return negative(kRcodeNoError, Outcome::nodata);  // the apex has no other records

  // Scan from the right for the keyword; the labels right of it are the locality.
  size_t kw = n;
  bool rfc2782 = false;
  for (size_t i = n; i-- > 0;) {
    std::string_view l = label(i);
    if (l == "service" || l == "node" || l == "addr" || l == "query" || l == "connect" || l == "virtual" ||
        l == "ingress") {
      kw = i;
      break;
    }
    if (q_.qtype == kTypeSrv && l.size() > 1 && l[0] == '_') {
      kw = i + 1;  // "_name._tag[.dc]": the service keyword is implied
      rfc2782 = true;
      break;
    }
  }
  if ((kw == n && !rfc2782) || kw == 0) return negative(kRcodeNxDomain, Outcome::nxdomain);
  size_t loc_begin = rfc2782 ? kw : kw + 1;
  size_t loc = n - loc_begin;
  std::string_view dc;
  if (loc == 1) dc = label(loc_begin);
  else if (loc == 2 && label(loc_begin + 1) == "dc") dc = label(loc_begin);
  else if (loc != 0) return negative(kRcodeNxDomain, Outcome::nxdomain);
  if (!dc.empty() && dc != set_.datacenter) {
    // Another datacenter this agent follows: answered from its zone, with its settings.
    const Zone* remote = zone_.remote_zone(dc);
    if (!remote || !remote->settings) return negative(kRcodeNxDomain, Outcome::nxdomain);
    Responder other(*remote, s_, req_, transport_, out_, cap_);
    other.domain_ = domain_;
    other.domain_at_ = domain_at_;
    other.start(true, true);
    return other.answer_keyword(kw, rfc2782);
  }
  return answer_keyword(kw, rfc2782);
}

Result Responder::answer_keyword(size_t kw, bool rfc2782) noexcept {
  std::string_view keyword = rfc2782 ? std::string_view("service") : label(kw);
  if (keyword == "service") return answer_service(kw, rfc2782);
  if (keyword == "node") return answer_node(kw);
  if (keyword == "addr") return answer_addr(kw);
  return negative(kRcodeNxDomain, Outcome::nxdomain);  // query, connect, ... are not served
}

Result Responder::answer_service(size_t parts_end, bool rfc2782) noexcept {
  std::string_view name;
  char tag_buf[256];
  size_t tag_len = 0;
  bool has_tag = false;
  bool underscored = parts_end == 2 && label(0).size() > 1 && label(0)[0] == '_' && label(1).size() > 1 &&
                     label(1)[0] == '_';
  if (underscored) {
    name = label(0).substr(1);
    std::string_view tag = label(1).substr(1);
    if (tag != "tcp") {  // "_tcp" means no tag filter
      std::memcpy(tag_buf, tag.data(), tag.size());
      tag_len = tag.size();
      has_tag = true;
    }
  } else if (rfc2782) {
    return negative(kRcodeNxDomain, Outcome::nxdomain);
  } else {
    name = label(parts_end - 1);
    for (size_t i = 0; i + 1 < parts_end; ++i) {  // the tag may contain dots
      std::string_view l = label(i);
      if (i) tag_buf[tag_len++] = '.';
      std::memcpy(tag_buf + tag_len, l.data(), l.size());
      tag_len += l.size();
      has_tag = true;
    }
  }
  const ServiceEntry* e = zone_.services.find(name);
  if (!e) return negative(kRcodeNxDomain, Outcome::nxdomain);
  const View* view = &e->all;
  if (has_tag) {
    auto it = e->by_tag.find(std::string_view(tag_buf, tag_len));
    if (it == e->by_tag.end()) return negative(kRcodeNxDomain, Outcome::nxdomain);
    view = &it->second;
  }
  if (view->empty()) return negative(kRcodeNxDomain, Outcome::nxdomain);

  switch (q_.qtype) {
    case kTypeA:
    case kTypeAaaa:
    case kTypeAny: {
      uint32_t budget = answer_cap(true);
      if (q_.qtype != kTypeAaaa) write_records(*e, view->a, kTypeA, budget);
      if (q_.qtype != kTypeA) write_records(*e, view->aaaa, kTypeAaaa, budget);
      break;
    }
    case kTypeSrv:
      write_srv(*e, view->srv, answer_cap(false));
      break;
    case kTypeTxt: {
      uint32_t budget = answer_cap(false);
      write_records(*e, view->txt, kTypeTxt, budget);
      break;
    }
    default:
      break;
  }
  return positive();
}

void Responder::write_records(const ServiceEntry& e, const std::vector<uint32_t>& idx, uint16_t type,
                              uint32_t& budget) noexcept {
  s_.order.assign(idx.begin(), idx.end());
  const ResponseWriter::Mark mark = rw_.mark();
  uint32_t left = budget;
  if (!put_records(e, type, left, true)) {
    truncated_ = true;
    rw_.rewind(mark);
    sort_canonical(e, type);
    left = budget;
    put_records(e, type, left, false);
  }
  budget = left;
}

bool Responder::put_records(const ServiceEntry& e, uint16_t type, uint32_t& budget, bool shuffled) noexcept {
  const NameRef owner{{}, kHeaderSize, {}};
  for (size_t i = 0; i < s_.order.size() && budget > 0; ++i) {
    const InstanceRecord& r = e.instances[shuffled ? pick(i) : s_.order[i]];
    bool ok = type == kTypeTxt
                  ? rw_.add(Section::answer, owner, kTypeTxt, e.ttl, [&](WireWriter& w) { w.bytes(r.txt()); })
                  : rw_.add_address(Section::answer, owner, e.ttl, r.family, r.addr);
    if (!ok) return false;
    --budget;
  }
  return true;
}

void Responder::write_srv(const ServiceEntry& e, const std::vector<uint32_t>& idx, uint32_t budget) noexcept {
  s_.order.assign(idx.begin(), idx.end());
  if (s_.seen.size() < e.instances.size()) s_.seen.resize(e.instances.size(), 0);
  const ResponseWriter::Mark mark = rw_.mark();
  if (!put_srv(e, budget, true)) {
    truncated_ = true;
    rw_.rewind(mark);
    sort_canonical(e, kTypeSrv);
    put_srv(e, budget, false);
  }
}

bool Responder::put_srv(const ServiceEntry& e, uint32_t budget, bool shuffled) noexcept {
  s_.written.clear();
  s_.target_at.clear();
  if (++s_.stamp == 0) {
    std::fill(s_.seen.begin(), s_.seen.end(), 0);
    s_.stamp = 1;
  }
  const NameRef owner{{}, kHeaderSize, {}};
  size_t promised = 0;  // bytes reserved for the additional records of written SRVs
  bool fit = true;
  for (size_t i = 0; i < s_.order.size() && s_.written.size() < budget; ++i) {
    uint32_t k = shuffled ? pick(i) : s_.order[i];
    const InstanceRecord& r = e.instances[k];
    size_t target_at = rw_.size() + 2 + 10 + 6;  // owner pointer, fixed fields, SRV fields
    bool new_target = s_.seen[r.target_id] != s_.stamp;
    size_t glue = 0;
    if (new_target) {
      size_t owner_len = target_at < 0x3FFF ? 2 : r.target().size() + domain_.size();
      glue = owner_len + 10 + (r.family == 4 ? 4 : 16);
    }
    rw_.reserve_more(glue);
    bool ok = rw_.add(Section::answer, owner, kTypeSrv, e.ttl, [&](WireWriter& w) {
      w.u16(1);  // priority
      w.u16(r.weight);
      w.u16(r.port);
      w.bytes(r.target());  // SRV targets are never compressed (RFC 2782)
      w.bytes(domain_);
    });
    if (!ok) {
      rw_.release(glue);
      fit = false;
      break;
    }
    promised += glue;
    if (new_target) {
      s_.seen[r.target_id] = s_.stamp;
      s_.written.push_back(k);
      s_.target_at.push_back(static_cast<uint16_t>(std::min<size_t>(target_at, kNoPointer)));
    }
  }
  if (!fit && shuffled) return false;  // the caller rewinds and writes them again in order
  rw_.release(promised);
  for (size_t i = 0; i < s_.written.size(); ++i) {
    const InstanceRecord& r = e.instances[s_.written[i]];
    uint16_t at = s_.target_at[i];
    NameRef target = at < 0x3FFF ? NameRef{{}, at, {}} : NameRef{r.target(), kNoPointer, domain_};
    rw_.add_address(Section::additional, target, e.ttl, r.family, r.addr);
  }
  return fit;
}

void Responder::sort_canonical(const ServiceEntry& e, uint16_t type) noexcept {
  const InstanceRecord* in = e.instances.data();
  auto& o = s_.order;
  if (type == kTypeSrv) {
    std::sort(o.begin(), o.end(), [in](uint32_t a, uint32_t b) {
      int c = in[a].target().compare(in[b].target());
      return c != 0 ? c < 0 : in[a].port < in[b].port;
    });
  } else if (type == kTypeTxt) {
    std::sort(o.begin(), o.end(), [in](uint32_t a, uint32_t b) { return in[a].txt() < in[b].txt(); });
  } else if (type == kTypeA) {  // IPv4: one big-endian load orders the address bytes
    std::sort(o.begin(), o.end(), [in](uint32_t a, uint32_t b) { return load_u32(in[a].addr) < load_u32(in[b].addr); });
  } else {
    std::sort(o.begin(), o.end(),
              [in](uint32_t a, uint32_t b) { return std::memcmp(in[a].addr, in[b].addr, sizeof in[a].addr) < 0; });
  }
}

Result Responder::answer_node(size_t parts_end) noexcept {
  char name_buf[256];
  size_t len = 0;
  for (size_t i = 0; i < parts_end; ++i) {  // node names may contain dots
    std::string_view l = label(i);
    if (i) name_buf[len++] = '.';
    std::memcpy(name_buf + len, l.data(), l.size());
    len += l.size();
  }
  const NodeEntry* node = zone_.nodes.find(std::string_view(name_buf, len));
  if (!node) return negative(kRcodeNxDomain, Outcome::nxdomain);
  const NameRef owner{{}, kHeaderSize, {}};
  uint16_t t = q_.qtype;
  if (node->family && (t == kTypeAny || (t == kTypeA && node->family == 4) || (t == kTypeAaaa && node->family == 6)))
    rw_.add_address(Section::answer, owner, set_.node_ttl, node->family, node->addr);
  if (t == kTypeTxt || t == kTypeAny) {
    for (const std::string& txt : node->txt) {
      if (!rw_.add(Section::answer, owner, kTypeTxt, set_.node_ttl, [&](WireWriter& w) { w.bytes(txt); })) {
        truncated_ = true;
        break;
      }
    }
  }
  return positive();
}

Result Responder::answer_addr(size_t parts_end) noexcept {
  if (parts_end != 1) return negative(kRcodeNxDomain, Outcome::nxdomain);
  std::string_view hex = label(0);
  uint8_t bytes[16];
  size_t n = hex.size() / 2;
  if (hex.size() != 8 && hex.size() != 32) return negative(kRcodeNxDomain, Outcome::nxdomain);
  for (size_t i = 0; i < n; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return negative(kRcodeNxDomain, Outcome::nxdomain);
    bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  uint8_t family = n == 4 ? 4 : 6;
  uint16_t want = family == 4 ? kTypeA : kTypeAaaa;
  const NameRef owner{{}, kHeaderSize, {}};
  if (q_.qtype == want || q_.qtype == kTypeAny) {
    rw_.add_address(Section::answer, owner, set_.node_ttl, family, bytes);
    return positive();
  }
  // A question of the other family is NODATA with the record in additional (as Consul).
  add_soa(Section::authority);
  rw_.add_address(Section::additional, owner, set_.node_ttl, family, bytes);
  return finish(kRcodeNoError, Outcome::nodata);
}

Result Responder::answer_reverse(bool v6, size_t first_arpa_label) noexcept {
  std::string_view labels(reinterpret_cast<const char*>(q_.lower), q_.label_off[first_arpa_label]);
  // Decode without allocating: at most 32 labels of one nibble, or 4 of up to 3 digits.
  uint8_t addr[16] = {};
  size_t count = 0, i = 0;
  bool ok = true;
  while (ok && i < labels.size()) {
    size_t len = static_cast<uint8_t>(labels[i]);
    std::string_view l = labels.substr(i + 1, len);
    i += 1 + len;
    if (v6) {
      int v = (len == 1 && ((l[0] >= '0' && l[0] <= '9') || (l[0] >= 'a' && l[0] <= 'f')))
                  ? (l[0] <= '9' ? l[0] - '0' : l[0] - 'a' + 10)
                  : -1;
      if (v < 0 || count >= 32) { ok = false; break; }
      size_t nibble = 31 - count;
      addr[nibble / 2] |= static_cast<uint8_t>(nibble % 2 == 0 ? v << 4 : v);
    } else {
      int v = 0;
      if (len == 0 || len > 3 || count >= 4 || (len > 1 && l[0] == '0')) { ok = false; break; }
      for (char c : l) {
        if (c < '0' || c > '9') { ok = false; break; }
        v = v * 10 + (c - '0');
      }
      if (!ok || v > 255) { ok = false; break; }
      addr[3 - count] = static_cast<uint8_t>(v);
    }
    ++count;
  }
  const PtrEntry* found =
      ok && count == (v6 ? 32u : 4u) ? zone_.ptr.find(std::string_view(reinterpret_cast<const char*>(addr), v6 ? 16 : 4))
                                     : nullptr;
  bool known = found != nullptr;
  // Addresses that are not ours belong to the recursors when there are any.
  if (!known && set_.recursion_available) return Result{0, Outcome::recurse, false};
  start(true, true);
  if (!known) return negative(kRcodeNxDomain, Outcome::nxdomain);
  if (q_.qtype == kTypePtr || q_.qtype == kTypeAny) {
    const std::string& target = found->target;
    size_t target_at = rw_.size() + 2 + 10;
    if (rw_.add(Section::answer, NameRef{{}, kHeaderSize, {}}, kTypePtr, set_.node_ttl, [&](WireWriter& w) {
          w.bytes(target);
          w.bytes(domain_);
        }) &&
        target_at + target.size() < 0x3FFF)
      domain_at_ = static_cast<uint16_t>(target_at + target.size());
  }
  return positive();
}

}  // namespace

size_t write_error_reply(const uint8_t* req, size_t len, uint16_t rcode, bool recursion_available, uint8_t* out,
                         size_t cap) noexcept {
  Query q;
  ParseStatus st = parse_query(req, len, q);
  if (st == ParseStatus::drop || cap < kHeaderSize + 11) return 0;
  bool with_question = q.has_question && q.question_end - kHeaderSize + kHeaderSize + 11 <= cap;
  uint16_t flags = kFlagQr | (q.flags & (kOpcodeMask | kFlagRd | kFlagCd));
  if (recursion_available) flags |= kFlagRa;
  ResponseWriter rw(out, cap, cap, q.has_edns ? kOptSize : 0);
  rw.start(q.id, flags, req + kHeaderSize, with_question ? q.question_end - kHeaderSize : 0);
  if (q.has_edns) rw.add_opt(1232, rcode);
  return rw.finish(rcode);
}

Result answer(const Zone& zone, const uint8_t* req, size_t len, Transport transport, uint8_t* out, size_t cap,
              Scratch& scratch) noexcept {
  ParseStatus st = parse_query(req, len, scratch.query);
  if (st == ParseStatus::drop) return Result{};
  Responder r(zone, scratch, req, transport, out, cap);
  if (st == ParseStatus::formerr) return r.error(kRcodeFormErr, Outcome::formerr);
  if (st == ParseStatus::notimp) return r.error(kRcodeNotImp, Outcome::notimp);
  return r.run();
}

}  // namespace beacon::dns
