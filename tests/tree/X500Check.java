// Reads names from stdin, one per line as hex of their UTF-8 bytes, and prints 1 for each that
// javax.security.auth.x500.X500Principal accepts (what ZooKeeper's X509AuthenticationProvider
// takes for a valid x509 ACL id), else 0. Run as a single-file program: java X500Check.java
import java.io.*;
import java.nio.charset.StandardCharsets;
import javax.security.auth.x500.X500Principal;

public class X500Check {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            byte[] raw = new byte[line.length() / 2];
            for (int i = 0; i < raw.length; i++) raw[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
            String name = new String(raw, StandardCharsets.UTF_8);
            boolean valid;
            try { new X500Principal(name); valid = true; } catch (IllegalArgumentException e) { valid = false; }
            out.append(valid ? '1' : '0').append('\n');
        }
        System.out.print(out);
    }
}
