using System.Collections.Frozen;

namespace Switchboard.Crm.Pipeline;

/// <summary>
/// Amounts are decimal major units in the API and integer micros (millionths) in the database: exact, and comparable
/// and summable by SQL on every provider (SQLite has no decimal type).
/// </summary>
public static class Money
{
    public const int Decimals = 6;
    public const long MicrosPerUnit = 1_000_000;
    public const decimal MaxAmount = 1_000_000_000_000m;

    public static long ToMicros(decimal amount) => checked((long)decimal.Round(amount * MicrosPerUnit, 0));
    public static decimal FromMicros(long micros) => micros / (decimal)MicrosPerUnit;
}

/// <summary>ISO 4217 active alphabetic codes.</summary>
public static class Currencies
{
    private static readonly FrozenSet<string> Codes = ("AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD " +
        "CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF " +
        "IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU " +
        "MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP " +
        "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG")
        .Split(' ').ToFrozenSet(StringComparer.Ordinal);

    public static bool IsKnown(string code) => Codes.Contains(code);
}
