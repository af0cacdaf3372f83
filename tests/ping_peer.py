#!/usr/bin/env python3
"""A host-side peer for `cordon run --net socket:PATH`: it listens on PATH
(a unix seqpacket socket, one Ethernet frame per message, as cordon's
netsock speaks), answers ARP requests for IP with MAC and ICMP echo
requests to IP with echo replies, and ends when cordon hangs up or after
TIMEOUT seconds.  It lets a test ping from a guest with no second guest.

usage: ping_peer.py PATH MAC IP [TIMEOUT]
"""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def arp_reply(src, payload, mac, ip):
    # Ethernet/IPv4 request (htype 1, ptype 0x0800, op 1) for our address.
    if len(payload) < 28 or payload[0:8] != b"\0\1\x08\0\x06\x04\0\1" or payload[24:28] != ip:
        return None
    reply = payload[0:6] + b"\0\2" + mac + ip + payload[8:14] + payload[14:18]
    return src + mac + b"\x08\x06" + reply


def echo_reply(src, payload, mac, ip):
    if len(payload) < 20 or payload[0] >> 4 != 4 or payload[16:20] != ip or payload[9] != 1:
        return None
    ihl = (payload[0] & 15) * 4
    total = struct.unpack("!H", payload[2:4])[0]
    packet = payload[:total]
    if ihl < 20 or len(packet) < ihl + 8 or packet[ihl] != 8:
        return None
    icmp = bytearray(packet[ihl:])
    icmp[0] = 0  # echo reply
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    hdr = bytearray(packet[:ihl])
    hdr[12:16], hdr[16:20] = packet[16:20], packet[12:16]
    hdr[8] = 64
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", checksum(bytes(hdr)))
    return src + mac + b"\x08\x00" + bytes(hdr) + bytes(icmp)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.split("\n\n")[-1].strip())
    path = sys.argv[1]
    mac = bytes.fromhex(sys.argv[2].replace(":", ""))
    ip = socket.inet_aton(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) == 5 else 600
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(1)
    server.settimeout(timeout)
    conn, _ = server.accept()
    conn.settimeout(timeout)
    while True:
        try:
            frame = conn.recv(65536)
        except socket.timeout:
            break
        if not frame:
            break  # cordon hung up
        if len(frame) < 14:
            continue
        src, ethertype, payload = frame[6:12], struct.unpack("!H", frame[12:14])[0], frame[14:]
        if ethertype == 0x0806:
            reply = arp_reply(src, payload, mac, ip)
        elif ethertype == 0x0800:
            reply = echo_reply(src, payload, mac, ip)
        else:
            reply = None
        if reply:
            conn.send(reply)


if __name__ == "__main__":
    main()
