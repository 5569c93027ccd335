package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import onepci.sysfs.PciAddress;
import org.junit.jupiter.api.Test;

class DomainXmlTest {

  static DomainXml parse(String xml) throws IOException {
    return DomainXml.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "test.xml");
  }

  @Test
  void managedYesIsPreparedNoAndMissingAreLeftAlone() throws Exception {
    DomainXml d = parse("<domain type='kvm'><name>one-1</name><devices>"
        + "<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/>"
        + "<source><address domain='0x0001' bus='0xe1' slot='0x00' function='0x1'/></source>"
        + "<address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/></hostdev>"
        + "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x41' slot='0x00' function='0x4'/></source></hostdev>"
        + "<hostdev mode='subsystem' type='pci'><source><address bus='0x02' slot='0x1f' function='0x7'/></source></hostdev>"
        + "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x1234'/></source></hostdev>"
        + "<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev>"
        + "</devices></domain>");

    assertThat(d.managed()).containsExactly(PciAddress.parse("0001:e1:00.1"));
    assertThat(d.unmanaged()).containsExactly(PciAddress.parse("0000:41:00.4"), PciAddress.parse("0000:02:1f.7"));
  }

  @Test
  void aDomainWithoutHostdevsHasNothing() throws Exception {
    DomainXml d = parse("<domain type='kvm'><name>one-2</name><devices><disk type='file'/></devices></domain>");
    assertThat(d.managed()).isEmpty();
    assertThat(d.unmanaged()).isEmpty();
  }

  @Test
  void errorsNameTheSource() {
    assertThatThrownBy(() -> parse("<domain><devices>")).hasMessageStartingWith("test.xml: not a libvirt domain XML: ");
    assertThatThrownBy(() -> parse("<network/>")).hasMessage("test.xml: the root element is <network>, not <domain>");
    assertThatThrownBy(() -> parse("<domain><devices><hostdev mode='subsystem' type='pci' managed='yes'>"
        + "<source><address domain='0x0000' bus='0x100' slot='0x00' function='0x0'/></source></hostdev></devices></domain>"))
        .hasMessageStartingWith("test.xml: a <hostdev> source address is not a PCI address: not a PCI address: domain 0 bus 256");
    assertThatThrownBy(() -> parse("<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>"))
        .hasMessageStartingWith("test.xml: not a libvirt domain XML: ");
  }
}
