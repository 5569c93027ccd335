package onepci.template;

/**
 * Where OVMF puts the 64-bit PCI MMIO window a template asks for, and the guest-physical address
 * bits that needs.
 *
 * <p>OVMF (edk2 {@code OvmfPkg/Library/PlatformInitLib/MemDetect.c}, {@code PlatformGetFirstNonAddress})
 * puts the window above the guest's RAM, its base aligned to 1 GiB and then "naturally", to the
 * largest power of two not above its size; the usable address space ends with it. Its
 * {@code PlatformAddressWidthFromCpuid} takes the vCPU's physical address width from CPUID only
 * when it is 41 or more (or a known-good 36 or 39 on Intel, 40 on AMD), because QEMU reports 40 by
 * default whatever the host has, and limits it to 46 bits (no 5-level paging); otherwise it guesses
 * the width from the window's end. A window ending above 2^40 thus needs a vCPU that reports the
 * host's own width (QEMU {@code host-phys-bits=on}, libvirt {@code <maxphysaddr mode='passthrough'/>}),
 * and one ending above 2^46 cannot be mapped by OVMF at all.
 */
final class OvmfWindow {

  /** The physical address bits QEMU gives a vCPU unless told to pass the host's. */
  static final int QEMU_DEFAULT_PHYS_BITS = 40;

  /** OVMF's limit on the physical address width it uses. */
  static final int OVMF_MAX_PHYS_BITS = 46;

  /** q35 keeps at most 2 GiB of RAM below 4 GiB when the guest has more than 2.75 GiB; the rest goes above 4 GiB. */
  private static final long Q35_LOW_RAM = 2L << 30;

  private static final long FOUR_GIB = 4L << 30;

  private OvmfWindow() {}

  /** The address one past the window, for a window of {@code windowMb} and a guest of {@code memoryMb}. */
  static long end(long windowMb, long memoryMb) {
    long window = windowMb << 20;
    long memory = memoryMb << 20;
    long ramEnd = memory > 0xb0000000L ? FOUR_GIB + memory - Q35_LOW_RAM : FOUR_GIB;
    long base = alignUp(alignUp(ramEnd, 1L << 30), Long.highestOneBit(window));
    return base + window;
  }

  /** The physical address bits the guest needs to reach the whole window. */
  static int addressBits(long windowMb, long memoryMb) {
    return 64 - Long.numberOfLeadingZeros(end(windowMb, memoryMb) - 1);
  }

  private static long alignUp(long value, long alignment) {
    return (value + alignment - 1) / alignment * alignment;
  }
}
