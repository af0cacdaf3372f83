#!/usr/bin/perl
# Writes the hand-made binary seeds of the fuzz targets whose input is a
# script (tests/fuzz/corpus/NAME/*.seed): each is a valid, interesting
# input that reaches deep into its target, so a campaign starts there
# rather than at the empty string.  Run from the repository root after
# changing a target's input format:  perl tests/fuzz/mkseeds.pl
use strict;
use warnings;

my $dir = 'tests/fuzz/corpus';

sub seed {
	my ($target, $name, $bytes) = @_;
	mkdir "$dir/$target";
	open(my $f, '>:raw', "$dir/$target/$name.seed") or die "$target/$name: $!";
	print $f $bytes;
	close $f;
}

# --- virtq: a hostile driver's script (tests/fuzz/virtq.c) -------------------
{
	# 16 pages of RAM; queue size 8, INDIRECT + EVENT_IDX; rings at 0x1000/0x2000/0x3000.
	my $hdr = pack('CC CC VVV', 15, 0, 3, 6, 0x1000, 0x2000, 0x3000);
	my $desc = sub {	# in the ring's table: i, addr, len, flags, next
		my ($i, $addr, $len, $fl, $next) = @_;
		pack('CC v CV CV C v', 0, 0, $i, 2, $addr, 1, $len, $fl, $next);
	};
	my $idesc = sub {	# in an indirect table at $tbl
		my ($tbl, $i, $addr, $len, $fl, $next) = @_;
		pack('CC CVC CV CV C v', 0, 1, 2, $tbl, $i, 2, $addr, 1, $len, $fl, $next);
	};
	# avail entry 0 = head 0, publish one, pop, push it back, notify.
	my $tail = pack('C vv', 1, 0, 0) . pack('CCC', 2, 0, 0) . pack('CC', 3, 0)
	    . pack('C v CV', 4, 0, 1, 16) . pack('C', 7);
	seed('virtq', 'direct-chain', $hdr . $desc->(0, 0x4000, 32, 1, 1) . $desc->(1, 0x5000, 16, 2, 0) . $tail);
	seed('virtq', 'indirect-chain', $hdr . $desc->(0, 0x6000, 32, 4, 0)
	    . $idesc->(0x6000, 0, 0x4000, 8, 1, 1) . $idesc->(0x6000, 1, 0x5000, 8, 2, 0) . $tail);
}

# --- virtio devices: tests/fuzz/lib/vdrv.c's driver script ----------------------
# start: all offered features, queues of 2^k entries, DRIVER_OK.
sub vd_start { my ($log2) = @_; pack('C C C', 0, 0, $log2) }
# A segment in the data area at offset $off: readable with contents, or writable.
sub vd_seg {
	my ($off, $len, $writable, $contents) = @_;
	my $s = pack('C Cv Cv', $writable ? 1 : 0, 3, $off, 2, $len);
	$s .= pack('C', length $contents) . $contents unless $writable;
	return $s;
}
sub vd_post { my ($q, @segs) = @_; pack('C C C', 2, $q, scalar(@segs) - 1) . join('', @segs) }
sub vd_kick { my ($q) = @_; pack('C C', 4, $q) }
sub vd_devop { my ($bytes) = @_; pack('C', 9) . $bytes }

# virtio-blk: 8 sectors, read-write.  Write sector 1, read it back, GET_ID, FLUSH.
{
	my $hdr = sub { my ($type, $sector) = @_; pack('V V Q<', $type, 0, $sector) };
	my $write = vd_post(0, vd_seg(0, 16, 0, $hdr->(1, 1)), vd_seg(0x100, 512, 0, 'cordon' x 8),
			     vd_seg(0x1000, 1, 1));
	my $read = vd_post(0, vd_seg(0x2000, 16, 0, $hdr->(0, 1)), vd_seg(0x3000, 512, 1),
			    vd_seg(0x4000, 1, 1));
	my $id = vd_post(0, vd_seg(0x5000, 16, 0, $hdr->(8, 0)), vd_seg(0x6000, 20, 1), vd_seg(0x6100, 1, 1));
	my $flush = vd_post(0, vd_seg(0x7000, 16, 0, $hdr->(4, 0)), vd_seg(0x7100, 1, 1));
	seed('virtio_blk', 'write-read', pack('C', 7) . vd_start(7) . $write . vd_kick(0) . $read . vd_kick(0));
	seed('virtio_blk', 'id-flush', pack('C', 0x87) . vd_start(7) . $id . $flush . vd_kick(0));
}

# virtio-net: a receive buffer, a 60-byte frame sent, a 64-byte frame received.
{
	my $frame = pack('H12 H12 n', 'ffffffffffff', '525400123456', 0x0800) . 'x' x 46;
	my $rx = vd_post(0, vd_seg(0x8000, 1530, 1));
	my $tx = vd_post(1, vd_seg(0, 12 + length $frame, 0, ("\0" x 12) . $frame));
	my $host = vd_devop(pack('C v', 0, 64) . $frame . 'tail');
	seed('virtio_net', 'tx-rx', vd_start(8) . $rx . vd_kick(0) . $tx . vd_kick(1) . $host);
	seed('virtio_net', 'link', vd_start(8) . vd_devop(pack('C', 1)) . vd_devop(pack('C', 0x11)) . $rx . $host);
}

# Boundaries: the largest frames each way, the last sector of the disk.
{
	my $frame = pack('H12 H12 n', 'ffffffffffff', '525400123456', 0x0800) . 'y' x 200;
	my $tx = vd_post(1, vd_seg(0, 12 + 1518, 0, ("\0" x 12) . $frame));
	my $rx = vd_post(0, vd_seg(0x8000, 2048, 1));
	my $host = vd_devop(pack('C v', 0, 1518) . $frame);
	seed('virtio_net', 'largest', vd_start(8) . $tx . vd_kick(1) . $rx . $host);

	my $hdr = pack('V V Q<', 0, 0, 7);
	my $read = vd_post(0, vd_seg(0x2000, 16, 0, $hdr), vd_seg(0x3000, 512, 1), vd_seg(0x4000, 1, 1));
	seed('virtio_blk', 'last-sector', pack('C', 7) . vd_start(7) . $read . vd_kick(0));
	# Two sectors from the last one: past the end, an IOERR.
	my $across = vd_post(0, vd_seg(0x2000, 16, 0, $hdr), vd_seg(0x3000, 1024, 1), vd_seg(0x4000, 1, 1));
	seed('virtio_blk', 'across-the-end', pack('C', 7) . vd_start(7) . $across . vd_kick(0));
}

# pci_config: conf1 programming of test0's BARs and command, accesses at
# the BARs' last bytes, INTx up, masked by INTx-disable, the function
# replugged while asserting.
{
	my $addr = sub { my ($reg) = @_; pack('C C C C', 0, 0, $reg, 0) };	# slot 2
	my $data = sub { my ($size_sel, $val) = @_; pack('C C C C V', 0, 2, 4, $size_sel, $val) };
	my $s = $addr->(0x10) . $data->(2, 0xc000) . $addr->(0x14) . $data->(2, 0xe0000000)
	    . $addr->(0x1c) . $data->(2, 0xe0100000) . $addr->(0x04) . $data->(1, 0x0007)
	    . pack('C C C C C', 4, 0, 1, 0, 2) . pack('C C C C C', 4, 0, 0, 0, 1)
	    . pack('C C C', 6, 0, 1) . pack('C C C C V C', 2, 0, 4, 1, 0x0407, 0)
	    . pack('C C C C V C', 2, 0, 4, 1, 0x0007, 0) . pack('C C', 7, 0);
	seed('pci_config', 'program-bars', $s);
}
