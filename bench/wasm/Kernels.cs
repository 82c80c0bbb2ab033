namespace Pliant.Wasm.Bench;

/// <summary>The C kernels of kernels.c, written the same way in C#.</summary>
internal static class Kernels
{
    public static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);

    private static readonly byte[] SieveBuf = new byte[1 << 21];

    public static int Sieve(int n)
    {
        var buf = SieveBuf;
        for (int i = 0; i < n; i++) buf[i] = 1;
        int count = 0;
        for (int i = 2; i < n; i++)
        {
            if (buf[i] != 0)
            {
                count++;
                for (int j = i + i; j < n; j += i) buf[j] = 0;
            }
        }
        return count;
    }

    private const int MN = 128;
    private static readonly double[] Ma = new double[MN * MN], Mb = new double[MN * MN], Mc = new double[MN * MN];

    public static double Matmul(int n)
    {
        for (int i = 0; i < n * n; i++) { Ma[i] = (i % 7) * 0.5; Mb[i] = (i % 5) + 1.0; }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += Ma[i * n + k] * Mb[k * n + j];
                Mc[i * n + j] = s;
            }
        double t = 0;
        for (int i = 0; i < n * n; i++) t += Mc[i];
        return t;
    }

    private static readonly uint[] CrcTable = new uint[256];
    private static readonly byte[] CrcBuf = new byte[1 << 20];

    public static uint Crc32(int len)
    {
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            CrcTable[i] = c;
        }
        for (int i = 0; i < len; i++) CrcBuf[i] = (byte)(i * 31 + 7);
        uint crc = 0xFFFFFFFFu;
        for (int i = 0; i < len; i++) crc = CrcTable[(crc ^ CrcBuf[i]) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}
