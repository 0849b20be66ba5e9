// NginxVictim.java -- a vulnerable Java web application behind nginx for the
// nginx_victim_*.sh tests: a com.sun.net.httpserver server that decodes each
// request the way a typical Servlet/Spring application does and logs what it
// got through a real log4j-core 2.14.1 (from the corpus), so a payload that
// survives the decoding makes log4j call back.
//
// What it logs, one log4j message per item (log.error: log4j's default
// configuration prints ERROR):
//   - each header name with all its values joined by ", " (Servlet
//     containers and Spring's @RequestHeader present repeated headers so);
//   - each parameter, the query's first and then a urlencoded body's or a
//     multipart/form-data body's form fields (not its files), with repeated
//     values joined by "," (Spring's @RequestParam String);
//   - the body text: Content-Encoding gzip/deflate inflated first; JSON with
//     Jackson's charset auto-detection (BOM, else the RFC 4627 section 3 zero
//     pattern of the first four bytes, else UTF-8); XML parsed by the JDK's
//     DOM parser (BOM, encoding declaration, CDATA, comments and internal
//     entities as a parser resolves them), its text content and every
//     element's attributes; any other body
//     in the Content-Type charset (UTF-8 by default).
// Usage: java -cp log4j-api.jar:log4j-core.jar:. NginxVictim PORT READY_FILE
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

public class NginxVictim {
    static final Logger log = LogManager.getLogger("victim");

    public static void main(String[] args) throws Exception {
        System.setProperty("com.sun.jndi.ldap.read.timeout", "3000");
        System.setProperty("com.sun.jndi.ldap.connect.timeout", "3000");
        HttpServer srv = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 64);
        srv.createContext("/", NginxVictim::handle);
        srv.start();
        log.error("warm-up: log4j initialised");
        Files.write(Paths.get(args[1]), "ready\n".getBytes(StandardCharsets.US_ASCII));
    }

    static void handle(HttpExchange ex) {
        int status = 200;
        try {
            for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
                log.error("header " + h.getKey() + ": " + String.join(", ", h.getValue()));
            }
            byte[] body = ex.getRequestBody().readAllBytes();
            String ce = lower(ex.getRequestHeaders().getFirst("Content-Encoding"));
            if (ce.equals("gzip")) {
                body = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
            } else if (ce.equals("deflate")) {
                body = new InflaterInputStream(new ByteArrayInputStream(body)).readAllBytes();
            }
            String ct = lower(ex.getRequestHeaders().getFirst("Content-Type"));
            Map<String, List<String>> params = new LinkedHashMap<>();
            addParams(params, ex.getRequestURI().getRawQuery());
            if (ct.startsWith("application/x-www-form-urlencoded")) {
                addParams(params, new String(body, StandardCharsets.UTF_8));
            } else if (ct.startsWith("multipart/form-data")) {
                addParts(params, ex.getRequestHeaders().getFirst("Content-Type"), body);
            }
            for (Map.Entry<String, List<String>> p : params.entrySet()) {
                log.error("param " + p.getKey() + "=" + String.join(",", p.getValue()));
            }
            if (ct.contains("json")) {
                log.error("json " + new String(body, jsonCharset(body)));
            } else if (ct.contains("xml")) {
                DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
                org.w3c.dom.Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
                log.error("xml " + doc.getDocumentElement().getTextContent());
                org.w3c.dom.NodeList all = doc.getElementsByTagName("*");
                for (int i = 0; i < all.getLength(); i++) {
                    org.w3c.dom.NamedNodeMap at = all.item(i).getAttributes();
                    for (int j = 0; j < at.getLength(); j++) {
                        log.error("xml attribute " + at.item(j).getNodeName() + "=" + at.item(j).getNodeValue());
                    }
                }
            } else if (!ct.startsWith("application/x-www-form-urlencoded")
                       && !ct.startsWith("multipart/") && body.length > 0) {
                log.error("body " + new String(body, charset(ct)));
            }
        } catch (Exception e) {
            status = 400;
            log.error("bad request: " + e.getClass().getSimpleName());
        }
        try {
            byte[] ok = (status == 200 ? "victim-ok" : "victim-bad").getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(status, ok.length);
            try (OutputStream o = ex.getResponseBody()) { o.write(ok); }
        } catch (Exception e) {
            ex.close();
        }
    }

    static String lower(String s) { return s == null ? "" : s.toLowerCase(Locale.ROOT).trim(); }

    static void addParams(Map<String, List<String>> params, String raw) {
        if (raw == null || raw.isEmpty()) return;
        for (String kv : raw.split("&")) {
            if (kv.isEmpty()) continue;
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq), v = eq < 0 ? "" : kv.substring(eq + 1);
            params.computeIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), x -> new ArrayList<>())
                  .add(URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
    }

    // The form fields of a multipart/form-data body, as Tomcat adds them to
    // the request parameters (parts with a filename are files, not fields).
    static void addParts(Map<String, List<String>> params, String ct, byte[] body) {
        int b = ct.indexOf("boundary=");
        if (b < 0) return;
        String boundary = ct.substring(b + 9).split(";")[0].replace("\"", "").trim();
        String text = new String(body, StandardCharsets.ISO_8859_1);
        for (String part : text.split("--" + java.util.regex.Pattern.quote(boundary))) {
            int he = part.indexOf("\r\n\r\n");
            if (he < 0) continue;
            String head = part.substring(0, he), value = part.substring(he + 4);
            if (value.endsWith("\r\n")) value = value.substring(0, value.length() - 2);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("[; ]name=\"([^\"]*)\"").matcher(head);
            if (!m.find() || head.contains("filename=")) continue;
            params.computeIfAbsent(m.group(1), x -> new ArrayList<>())
                  .add(new String(value.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        }
    }

    static Charset charset(String ct) {
        int i = ct.indexOf("charset=");
        if (i < 0) return StandardCharsets.UTF_8;
        String cs = ct.substring(i + 8).split("[;, ]")[0].replace("\"", "");
        return Charset.forName(cs);
    }

    // Jackson's ByteSourceJsonBootstrapper: a BOM, else the pattern of zero
    // bytes among the first four (RFC 4627 section 3), else UTF-8.
    static Charset jsonCharset(byte[] b) {
        if (b.length >= 4) {
            int q = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            if (q == 0x0000feff || (q & 0xffffff00) == 0 && b[3] != 0) return Charset.forName("UTF-32BE");
            if (q == 0xfffe0000 || b[0] != 0 && (q & 0x00ffffff) == 0) return Charset.forName("UTF-32LE");
        }
        if (b.length >= 2) {
            if ((b[0] & 0xff) == 0xfe && (b[1] & 0xff) == 0xff) return StandardCharsets.UTF_16;
            if ((b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xfe) return StandardCharsets.UTF_16;
            if (b[0] == 0 && b[1] != 0) return StandardCharsets.UTF_16BE;
            if (b[0] != 0 && b[1] == 0) return StandardCharsets.UTF_16LE;
        }
        return StandardCharsets.UTF_8;
    }
}
