package onepci.vfio;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import onepci.io.IoFailure;
import onepci.sysfs.PciAddress;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The PCI devices a libvirt domain XML passes through: {@code <hostdev mode='subsystem' type='pci'>}
 * elements under {@code <devices>}, with their {@code <source><address domain= bus= slot=
 * function=/>}.
 *
 * <p>Only {@code managed='yes'} devices are the hook's business. With {@code managed='no'} (or no
 * {@code managed} attribute, which libvirt reads as no) libvirt itself does not detach the device:
 * whoever wrote that binds it, and OpenNebula writes it for NVIDIA vGPU VFs, which must stay on
 * the NVIDIA driver. Those are listed as {@link #unmanaged()} and left alone.
 */
public record DomainXml(List<PciAddress> managed, List<PciAddress> unmanaged) {

  public static DomainXml parse(InputStream in, String source) throws IOException {
    Document doc;
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setXIncludeAware(false);
      f.setExpandEntityReferences(false);
      DocumentBuilder b = f.newDocumentBuilder();
      b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
      doc = b.parse(in);
    } catch (ParserConfigurationException | SAXException e) {
      throw new IOException(source + ": not a libvirt domain XML: " + e.getMessage());
    } catch (IOException e) {
      throw new IOException(source + ": " + IoFailure.reason(e), e);
    }
    Element root = doc.getDocumentElement();
    if (!root.getTagName().equals("domain")) {
      throw new IOException(source + ": the root element is <" + root.getTagName() + ">, not <domain>");
    }
    List<PciAddress> managed = new ArrayList<>();
    List<PciAddress> unmanaged = new ArrayList<>();
    for (Element devices : children(root, "devices")) {
      for (Element hostdev : children(devices, "hostdev")) {
        if (!hostdev.getAttribute("mode").equals("subsystem") || !hostdev.getAttribute("type").equals("pci")) {
          continue;
        }
        PciAddress a = address(hostdev, source);
        (hostdev.getAttribute("managed").equals("yes") ? managed : unmanaged).add(a);
      }
    }
    return new DomainXml(List.copyOf(managed), List.copyOf(unmanaged));
  }

  private static PciAddress address(Element hostdev, String source) throws IOException {
    for (Element src : children(hostdev, "source")) {
      for (Element addr : children(src, "address")) {
        try {
          return new PciAddress(
              number(addr, "domain"), number(addr, "bus"), number(addr, "slot"), number(addr, "function"));
        } catch (IllegalArgumentException e) {
          throw new IOException(source + ": a <hostdev> source address is not a PCI address: " + e.getMessage());
        }
      }
    }
    throw new IOException(source + ": a <hostdev type='pci'> has no <source><address .../>");
  }

  private static int number(Element e, String attr) {
    String v = e.getAttribute(attr);
    if (v.isEmpty()) {
      if (attr.equals("domain")) {
        return 0;
      }
      throw new IllegalArgumentException("'" + attr + "' is missing");
    }
    try {
      return Integer.decode(v);
    } catch (NumberFormatException x) {
      throw new IllegalArgumentException(attr + "='" + v + "' is not a number");
    }
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> out = new ArrayList<>();
    NodeList l = parent.getChildNodes();
    for (int i = 0; i < l.getLength(); i++) {
      Node n = l.item(i);
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        out.add(e);
      }
    }
    return out;
  }
}
