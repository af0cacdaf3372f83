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

# virtio-rng: a small buffer, one larger than a request fills, a chain of
# a readable and two writable segments, one at the data area's last byte.
{
	my $small = vd_post(0, vd_seg(0, 64, 1));
	my $large = vd_post(0, vd_seg(0x100, 4000, 1), vd_seg(0x1100, 3000, 1));
	my $mixed = vd_post(0, vd_seg(0x2000, 16, 0, 'x' x 16), vd_seg(0x3000, 300, 1), vd_seg(0xffff, 1, 1));
	seed('virtio_rng', 'fill', vd_start(6) . $small . $large . $mixed . vd_kick(0));
	seed('virtio_rng', 'source-fails', vd_start(6) . vd_devop(pack('C', 1)) . $small . vd_kick(0)
	    . vd_devop(pack('C', 0)) . $small . vd_kick(0));
}

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

# --- boot loaders: image bytes (tests/fuzz/boot_*.c); RAM is 1 MiB + the
# last byte * 16 KiB, and an odd length brings an initrd -----------------------
{
	my $bz = sub {	# protocol, pm bytes, last byte, extra byte for odd length
		my ($proto, $pm, $last, $odd) = @_;
		my $k = "\0" x (5 * 512 + $pm);
		substr($k, 0x1f1, 1) = chr 4;
		substr($k, 0x1f4, 4) = pack('V', $pm / 16);
		substr($k, 0x1fe, 2) = "\x55\xaa";
		substr($k, 0x200, 2) = pack('C C', 0xeb, 0x26c - 0x202);
		substr($k, 0x202, 4) = 'HdrS';
		substr($k, 0x206, 2) = pack('v', $proto);
		substr($k, 0x211, 1) = chr 1;				# loaded high
		substr($k, 0x214, 4) = pack('V', 0x100000);
		substr($k, 0x22c, 4) = pack('V', 0x7fffffff);		# initrd_addr_max
		substr($k, 0x230, 4) = pack('V', 0x100000);		# kernel_alignment
		substr($k, 0x234, 1) = chr 1;				# relocatable
		substr($k, 0x238, 4) = pack('V', 2047);			# cmdline_size
		substr($k, 0x258, 8) = pack('Q<', 0x100000);		# pref_address
		substr($k, 0x260, 4) = pack('V', 0x10000);		# init_size
		substr($k, length($k) - 1, 1) = chr $last;
		return $odd ? $k . chr($last) : $k;
	};
	seed('boot_linux', 'protocol-2.15', $bz->(0x020f, 4096, 0x40, 0));
	seed('boot_linux', 'protocol-2.15-initrd', $bz->(0x020f, 4096, 0x40, 1));
	seed('boot_linux', 'protocol-2.06', $bz->(0x0206, 4096, 0x08, 0));
	# Exactly the RAM it needs: 1 MiB and 64 KiB of init_size.
	seed('boot_linux', 'fits-exactly', $bz->(0x020f, 4096, 0x04, 0));

	# Multiboot with the a.out kludge: the header says where everything goes.
	my $hdr = pack('V V V V V V V V', 0x1badb002, 0x00010000, -(0x1badb002 + 0x00010000) & 0xffffffff,
		       0x100000, 0x100000, 0, 0x102000, 0x100020);
	my $img = $hdr . ("\x90" x 0) . ("\0" x (0x20 - length $hdr)) . "\xf4" x 32;
	seed('boot_multiboot', 'aout-kludge', $img . chr(0x10));
	seed('boot_multiboot', 'aout-kludge-initrd', $img . "\xf4" . chr(0x10));
}

# --- audit_verify: a mode byte (odd: the harness fixes the chain), then a log --
{
	use Digest::SHA qw(sha256_hex);
	my $zero = '0' x 64;
	my @lines;
	my $prev = $zero;
	for my $seq (1 .. 3) {
		my $l = sprintf('{"seq":%d,"time":"2026-12-07T06:00:0%dZ","subject":"vm-%d","object":"disk-b",'
		    . '"subject_label":"SECRET","object_label":"LOW","mode":"read","decision":"%s",'
		    . '"reason":"r\\u00e9ad-down","prev":"%s"}', $seq, $seq, $seq, $seq == 2 ? 'deny' : 'allow', $prev);
		push @lines, $l;
		$prev = sha256_hex($l);
	}
	seed('audit_verify', 'intact', "\0" . join('', map { "$_\n" } @lines));
	my @bogus = map { (my $x = $_) =~ s/"prev":"[0-9a-f]{64}"/"prev":"$zero"/; $x } @lines;
	seed('audit_verify', 'chain-fixed', "\1" . join('', map { "$_\n" } @bogus));
	seed('audit_verify', 'truncated', "\0" . "$lines[0]\n" . substr($lines[1], 0, 40));
}

# --- control_request: request lines as the client writes them ------------------
{
	seed('control_request', 'ps', '{"cmd":"ps"}');
	seed('control_request', 'stop-running', '{"cmd":"stop","vm":"alpha"}');
	seed('control_request', 'stop-exited', '{"cmd":"stop","vm":"beta"}');
	seed('control_request', 'sanitize', '{"cmd":"sanitize","media":"stick"}');
	seed('control_request', 'down', '{"cmd":"down"}');
	seed('control_request', 'unknown', '{"cmd":"st\\\\op","x":"\\u0001"}');
}

# --- monitor_proto: descriptors/kind byte, then a payload ------------------------
{
	my $start = '{"vm":"alpha","label":"SECRET:NATO/LOW","memory":16777216,"uid":2000000000,'
	    . '"fsize":1048576,"append":"console=ttyS0","kernel":"/k","initrd":"/i",'
	    . '"fds":[{"role":"kernel"},{"role":"initrd"},{"role":"console-log","quota":65536},'
	    . '{"role":"disk","name":"vda","ro":false,"luks":false}]}';
	seed('monitor_proto', 'start-4-fds', chr(4) . $start);
	(my $no_initrd = $start) =~ s/"initrd":"\/i"/"initrd":""/;
	$no_initrd =~ s/\{"role":"initrd"\},//;
	seed('monitor_proto', 'start-3-fds', chr(3) . $no_initrd);
	seed('monitor_proto', 'raw-header', chr(0x21) . pack('v v V', 1, 1, length $start) . $start);
}

# --- cpu: flags (u16), EAX..EDI (8 x u32, ESP ignored), then code ----------------
{
	my $regs = pack('v', 0x0891) . pack('V8', 0x12345678, 0x80000001, 0xffffffff, 7,
					      0, 0x7fff, 0x20000, 0x20100);
	my %code = (
		'alu'	   => '01d8 29c8 11d1 19c2 21f0 31ff 0fafc3 f7e1 f7f9 d1e0 c1e004 d3e8 0fa4c305',
		'shifts'   => 'c1e005 c1e810 c1f81f d1d0 c1c00d 0fa5c3',
		'memory'   => '8b06 8907 0103 ff4604 8a4705 668b4e02 0fb606 0fbf07',
		'stack'    => '50 53 9c 58 5b 60 61 e800000000 58 c8100000 c9',
		'string'   => 'fc b908000000 f3a5 fd b904000000 f3ab fc b903000000 f3a6',
		'branches' => '31c0 40 83f805 75fa e302 ebfe 7f00 0f8400000000 e2fe',
		'system'   => '0f01442400 0f00c8 8cd8 8ed8 cd80 0f20c0 0f22c0 9c 9d fa fb',
		'far'      => 'ea0000010008 9a1000010008',
		'smc'      => 'c6050d000100b8 b811111111 90',
	);
	for my $name (sort keys %code) {
		(my $hex = $code{$name}) =~ s/\s+//g;
		seed('cpu', $name, $regs . pack('H*', $hex));
	}
}

# --- guard_proto: the type (1 + byte % 9), then the payload ------------------------
{
	my $t1 = sub { pack('C', length $_[0]) . $_[0] };
	my $t2 = sub { pack('v', length $_[0]) . $_[0] };
	my $id = pack('Q<', 7);
	seed('guard_proto', 'init', pack('C', 0) . pack('V Q< V', 2000001000, 1 << 20, 100) . $t1->('alpha'));
	seed('guard_proto', 'spool', pack('C', 1) . $id);
	seed('guard_proto', 'deliver', pack('C', 2) . $id . ("\xab" x 32));
	seed('guard_proto', 'req-begin', pack('C', 3) . $id . pack('V Q< Q<', 2, 300, 300) . $t1->('beta'));
	seed('guard_proto', 'req-file', pack('C', 4) . $id . pack('V v Q< Q<', 1, 0755, 100, 200)
	    . ("\xcd" x 32) . $t2->('run.sh'));
	seed('guard_proto', 'drop', pack('C', 6) . $id . $t2->('bad magic'));
	seed('guard_proto', 'undeliverable', pack('C', 8) . $id . $t2->('the spool does not match'));
	# Regression: a NUL inside a VM name was taken, as "al" (fixed with the target).
	seed('guard_proto', 'regress-nul-in-vm-name', pack('C', 0) . pack('V Q< V', 2000001000, 1 << 20, 100)
	    . $t1->("al\0pha"));
}

# --- port_proto: one datagram -------------------------------------------------------
{
	seed('port_proto', 'out-open', pack('C', 1));
	seed('port_proto', 'out-data', pack('C', 2) . 'CRDX' . "\0" x 12);
	seed('port_proto', 'out-data-largest', pack('C', 2) . 'z' x 32768);
	seed('port_proto', 'in-open', pack('C V', 4, 3));
	seed('port_proto', 'in-data-end', pack('C V C', 7, 3, 1) . 'last bytes');
	# Regression: OUT_DATA one byte over PORT_DATA_MAX was taken (fixed with the target).
	seed('port_proto', 'regress-out-data-too-long', pack('C', 2) . 'z' x 32769);
}

# --- chan_proto: open, how, cut, gap, then a struct chan_start ------------------------
{
	my $base = 2000000000 + 16;	# CHAN_UID_BASE
	my $name = sub { pack('Z32', $_[0]) };
	my $vm = sub { pack('a6 C', pack('C6', 2, 0, 0, 0, 0, $_[1]), 0) . $name->($_[0]) };
	my $uplink = pack('a6 C', "\0" x 6, 1) . $name->('');
	my $start = sub {
		my ($kind, $uid, $chan, $nfds, @ports) = @_;
		my $s = pack('V4', 1, $kind, $uid, $nfds) . $name->($chan) . join('', @ports);
		return $s . "\0" x (712 - length $s);	# sizeof(struct chan_start)
	};
	my $whole = pack('CC v C', 0, 0, 0, 0);
	seed('chan_proto', 'switch', $whole . $start->(1, $base, 'lan', 3, $vm->('alpha', 1), $vm->('beta', 2),
	    $uplink));
	seed('chan_proto', 'switch-largest', $whole . $start->(1, $base + 31, 'wide-net_0', 17,
	    (map { $vm->("vm$_", $_) } 1 .. 16), $uplink));
	my $relay = $start->(2, $base + 16, 'diode', 2);
	seed('chan_proto', 'relay', $whole . $relay);
	seed('chan_proto', 'relay-cut', pack('CC v C', 0, 2, 711, 0) . $relay);
	# A stray descriptor at 67, the last one looked at, and at 68, above them.
	seed('chan_proto', 'relay-stray-fd-last', pack('CC v C', 0, 4, 0, 61) . $relay);
	seed('chan_proto', 'relay-stray-fd-above', pack('CC v C', 0, 4, 0, 62) . $relay);
}

# --- legacy: the PC's ISA devices, a script of port accesses and host events ---------
{
	my %idx = (0x20 => 0, 0x21 => 1, 0xa0 => 2, 0xa1 => 3, 0x43 => 9, 0x40 => 6, 0x61 => 10,
		   0x3f8 => 11, 0x3f9 => 12, 0x3fa => 13, 0x3fb => 14, 0x3fc => 15, 0x3fd => 16,
		   0x70 => 19, 0x71 => 20, 0x60 => 21, 0x64 => 22, 0x80 => 23, 0xf4 => 24);
	my $out = sub { pack('C C V', 0x00, $idx{$_[0]}, $_[1]) };	# a byte written
	my $in = sub { pack('C C', 0x01, $idx{$_[0]}) };
	my $time = sub { pack('C V', 0x02, $_[0]) };
	my $type = sub { pack('C C', 0x03, length $_[0]) . $_[0] };
	my $take = pack('C', 0x05);
	my $pic = join('', map { $out->(@$_) } [0x20, 0x11], [0x21, 0x08], [0x21, 0x04], [0x21, 0x01],
	    [0xa0, 0x11], [0xa1, 0x70], [0xa1, 0x02], [0xa1, 0x01], [0x21, 0x00], [0xa1, 0x00]);
	# UART: FIFOs on, loopback, the host fills 15 of 16 places, the guest sends one more.
	seed('legacy', 'uart-fifo-loopback-full', $pic . $out->(0x3fb, 0x03) . $out->(0x3fa, 0xc7)
	    . $out->(0x3f9, 0x0f) . $out->(0x3fc, 0x1b) . $type->('x' x 15) . $out->(0x3f8, 0x41)
	    . $in->(0x3fd) . $in->(0x3f8) . $take);
	# PIT channel 0, mode 2, 1 ms; time passes, the CPU takes IRQ 0.
	seed('legacy', 'pit-periodic', $pic . $out->(0x43, 0x34) . $out->(0x40, 0xa9) . $out->(0x40, 0x04)
	    . ($time->(1000000) . $take) x 4 . $out->(0x61, 0x01) . $in->(0x61));
	# RTC: periodic and update interrupts, binary 24-hour, register C read to clear.
	seed('legacy', 'rtc-interrupts', $pic . $out->(0x70, 0x0a) . $out->(0x71, 0x26) . $out->(0x70, 0x0b)
	    . $out->(0x71, 0x56) . ($time->(500000000) . $take . $out->(0x70, 0x0c) . $in->(0x71)) x 3
	    . $out->(0x70, 0x00) . $in->(0x71));
	# i8042: self-test, command byte, output port with A20, pulse reset; POST code; debug exit.
	seed('legacy', 'i8042-and-exits', $pic . $out->(0x64, 0xaa) . $in->(0x60) . $out->(0x64, 0x20)
	    . $in->(0x60) . $out->(0x64, 0xd1) . $out->(0x60, 0xdf) . $out->(0x64, 0xfe)
	    . $out->(0x80, 0x55) . $in->(0x80) . $out->(0xf4, 0x31));
}
