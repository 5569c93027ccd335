package onepci.vfio;

import java.util.Optional;

/** Driver names that mean "a VM can have this device". */
public final class VfioDrivers {

  public static final String VFIO_PCI = "vfio-pci";

  private VfioDrivers() {}

  /** vfio-pci itself or a vendor variant ({@code mlx5_vfio_pci}, {@code nvgrace_gpu_vfio_pci}). */
  public static boolean isVfio(Optional<String> driver) {
    return driver.isPresent() && isVfio(driver.get());
  }

  /** {@link #isVfio(Optional)} for a driver name. */
  public static boolean isVfio(String driver) {
    return driver.endsWith("vfio_pci") || driver.endsWith(VFIO_PCI);
  }
}
