package onepci.vfio;

import java.io.IOException;

/** Loads a kernel module ({@code modprobe NAME}). */
@FunctionalInterface
public interface ModuleLoader {
  void load(String module) throws IOException;
}
