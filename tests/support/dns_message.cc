#include "tests/support/dns_message.h"

#include <ldns/ldns.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

namespace beacon::test {
namespace {

std::string take_string(char* s) {
  std::string out = s ? s : "";
  std::free(s);
  return out;
}

std::string rdf_text(const ldns_rdf* rdf) { return rdf ? take_string(ldns_rdf2str(rdf)) : std::string(); }

std::string type_text(ldns_rr_type t) { return take_string(ldns_rr_type2str(t)); }

Record to_record(const ldns_rr* rr) {
  Record r;
  r.owner = rdf_text(ldns_rr_owner(rr));
  r.type = type_text(ldns_rr_get_type(rr));
  r.ttl = ldns_rr_ttl(rr);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    if (i) r.rdata += ' ';
    r.rdata += rdf_text(ldns_rr_rdf(rr, i));
  }
  return r;
}

std::vector<Record> to_records(const ldns_rr_list* list) {
  std::vector<Record> out;
  if (!list) return out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) out.push_back(to_record(ldns_rr_list_rr(list, i)));
  return out;
}

std::string opcode_name(int opcode) {
  switch (opcode) {
    case 0: return "QUERY";
    case 1: return "IQUERY";
    case 2: return "STATUS";
    case 4: return "NOTIFY";
    case 5: return "UPDATE";
    default: return "OPCODE" + std::to_string(opcode);
  }
}

}  // namespace

std::string Record::str() const {
  std::string o = owner;
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return std::tolower(c); });
  return o + " " + std::to_string(ttl) + " " + type + " " + rdata;
}

std::vector<std::string> Record::fields() const {
  std::vector<std::string> out;
  std::istringstream in(rdata);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

std::optional<Record> record_from_text(std::string_view line) {
  std::string text(line);
  ldns_rr* rr = nullptr;
  ldns_status st = ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr);
  if (st != LDNS_STATUS_OK || !rr) return std::nullopt;
  Record r = to_record(rr);
  ldns_rr_free(rr);
  return r;
}

std::optional<Message> decode_wire(const uint8_t* data, size_t len) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, data, len) != LDNS_STATUS_OK || !pkt) return std::nullopt;
  Message m;
  m.id = ldns_pkt_id(pkt);
  m.opcode = opcode_name(ldns_pkt_get_opcode(pkt));
  m.qr = ldns_pkt_qr(pkt);
  m.aa = ldns_pkt_aa(pkt);
  m.tc = ldns_pkt_tc(pkt);
  m.rd = ldns_pkt_rd(pkt);
  m.ra = ldns_pkt_ra(pkt);
  std::vector<Record> question = to_records(ldns_pkt_question(pkt));
  if (!question.empty()) {
    m.qname = question.front().owner;
    m.qtype = question.front().type;
  }
  m.answer = to_records(ldns_pkt_answer(pkt));
  m.authority = to_records(ldns_pkt_authority(pkt));
  m.additional = to_records(ldns_pkt_additional(pkt));
  // ldns takes the OPT record out of the additional section and keeps its fields.
  m.edns = ldns_pkt_edns(pkt);
  int rcode = ldns_pkt_get_rcode(pkt);
  if (m.edns) {
    m.edns_version = ldns_pkt_edns_version(pkt);
    m.edns_ext_rcode = ldns_pkt_edns_extended_rcode(pkt);
    m.edns_udp_size = ldns_pkt_edns_udp_size(pkt);
    rcode |= m.edns_ext_rcode << 4;
  }
  m.rcode = rcode_name(rcode);
  m.size = len;
  ldns_pkt_free(pkt);
  return m;
}

std::string rcode_name(int rcode) {
  static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                       "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE", "DSOTYPENI",
                                       "RCODE12",  "RCODE13", "RCODE14", "RCODE15",  "BADVERS", "BADKEY",
                                       "BADTIME",  "BADMODE", "BADNAME", "BADALG",   "BADTRUNC", "BADCOOKIE"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames))) return kNames[rcode];
  return "RCODE" + std::to_string(rcode);
}

std::vector<Record> of_type(const std::vector<Record>& records, std::string_view type) {
  std::vector<Record> out;
  for (const Record& r : records)
    if (r.type == type) out.push_back(r);
  return out;
}

std::vector<std::string> sorted_rdata(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(r.rdata);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted_str(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(r.str());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace beacon::test
