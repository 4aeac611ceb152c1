import Foundation

/// A time column's cell as a point in time: a number as it is, or an ISO 8601 date
/// (`2024-03-01`, `2024-03`, `2024-03-01 12:30`, `2024-03-01T12:30:15Z`) as seconds since
/// 1970-01-01 UTC with its calendar month kept, so that monthly and yearly series count as
/// regular.
public struct TimeStamp: Equatable, Comparable, Sendable {
    /// Seconds (or the number itself).
    public let value: Double
    /// `month`, or `Int32.min` for none: 16 bytes a stamp, for tables of millions of rows.
    private let monthCode: Int32
    /// Seconds into the month (day, hour, minute, second), with `month`.
    let withinMonth: Float

    /// `year·12 + month - 1` for a date; nil for a plain number.
    public var month: Int? { monthCode == .min ? nil : Int(monthCode) }

    init(value: Double, month: Int?, withinMonth: Double) {
        self.value = value
        monthCode = month.map { Int32(clamping: $0) } ?? .min
        self.withinMonth = Float(withinMonth)
    }

    public static func < (a: TimeStamp, b: TimeStamp) -> Bool { a.value < b.value }

    /// Parses a cell: a number, or one of the ISO 8601 forms above; nil otherwise.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> TimeStamp? {
        if case .value(let v) = CSVNumber.parse(bytes) { return TimeStamp(value: v, month: nil, withinMonth: 0) }
        let text = Array(String(decoding: bytes, as: UTF8.self).trimmingSpaces.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= text.count else { return nil }
            var n = 0
            for k in i..<i + digits {
                guard text[k] >= 0x30 && text[k] <= 0x39 else { return nil }
                n = n * 10 + Int(text[k] - 0x30)
            }
            i += digits
            return n
        }
        func expect(_ c: Character) -> Bool {
            guard i < text.count, text[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), (1...12).contains(month) else { return nil }
        var day = 1, hour = 0, minute = 0, second = 0.0
        if expect("-") {
            guard let d = number(2), (1...daysIn(month: month, year: year)).contains(d) else { return nil }
            day = d
            if expect("T") || expect(" ") {
                guard let h = number(2), h < 24, expect(":"), let m = number(2), m < 60 else { return nil }
                (hour, minute) = (h, m)
                if expect(":") {
                    guard let s = number(2), s < 61 else { return nil }
                    second = Double(s)
                    if expect(".") {
                        var scale = 0.1
                        while i < text.count, text[i] >= 0x30 && text[i] <= 0x39 {
                            second += Double(text[i] - 0x30) * scale
                            scale /= 10
                            i += 1
                        }
                    }
                }
                _ = expect("Z")
            }
        }
        guard i == text.count else { return nil }
        let within = Double((day - 1) * 86_400 + hour * 3600 + minute * 60) + second
        let seconds = Double(daysFromCivil(year: year, month: month, day: 1)) * 86_400 + within
        return TimeStamp(value: seconds, month: year * 12 + month - 1, withinMonth: within)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// How far apart consecutive rows of a time column are.
public enum TimeSpacing: Equatable, Sendable, CustomStringConvertible {
    /// A fixed step (seconds for dates, or units of a numeric time column).
    case step(Double)
    /// A fixed number of calendar months (monthly, quarterly, yearly data), the same day
    /// and time in each.
    case months(Int)

    public var description: String { describe(dates: false) }

    /// `daily`, `every 6 hours`, `monthly`... for a date column (`dates`); `every 0.5` for
    /// a numeric one.
    public func describe(dates: Bool) -> String {
        switch self {
        case .step(let s):
            guard dates else { return "every \(s == s.rounded() ? String(Int(s)) : "\(s)")" }
            for (unit, seconds, single) in [("day", 86_400.0, "daily"), ("hour", 3600, "hourly"), ("minute", 60, "every minute")]
            where s >= seconds && (s / seconds).rounded() == s / seconds {
                let n = Int(s / seconds)
                return n == 1 ? single : "every \(n) \(unit)s"
            }
            return "every \(s) s"
        case .months(let m): return m == 12 ? "yearly" : m == 1 ? "monthly" : "every \(m) months"
        }
    }

    /// The spacing of `times` (sorted, at least two), or the index of the first row whose
    /// step differs from the first one's.
    static func of(_ times: [TimeStamp]) -> Result<TimeSpacing, IrregularStep> {
        let months = times.compactMap(\.month)
        if months.count == times.count, times.allSatisfy({ $0.withinMonth == times[0].withinMonth }) {
            let step = months[1] - months[0]
            if let bad = (1..<months.count).first(where: { months[$0] - months[$0 - 1] != step }) {
                return .failure(IrregularStep(row: bad))
            }
            return .success(.months(step))
        }
        let step = times[1].value - times[0].value
        let tolerance = abs(step) * 1e-9
        if let bad = (1..<times.count).first(where: { abs(times[$0].value - times[$0 - 1].value - step) > tolerance }) {
            return .failure(IrregularStep(row: bad))
        }
        return .success(.step(step))
    }

    struct IrregularStep: Error {
        let row: Int
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let space: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(String(drop(while: space).reversed().drop(while: space)).reversed())
    }
}

extension TimeStamp {
    /// The stamp `steps` spacings after this one.
    public func advanced(by steps: Int, spacing: TimeSpacing) -> TimeStamp {
        switch spacing {
        case .step(let s): return TimeStamp(value: value + s * Double(steps), month: nil, withinMonth: 0).keepingKind(of: self)
        case .months(let m):
            let month = (self.month ?? 0) + m * steps
            let (year, monthOfYear) = (month.floorDivided(by: 12), month - month.floorDivided(by: 12) * 12 + 1)
            let seconds = Double(Self.daysFromCivil(year: year, month: monthOfYear, day: 1)) * 86_400 + Double(withinMonth)
            return TimeStamp(value: seconds, month: month, withinMonth: Double(withinMonth))
        }
    }

    /// A plain number's stamp stays a number; a date's stays a date (its month recomputed).
    private func keepingKind(of original: TimeStamp) -> TimeStamp {
        guard original.month != nil else { return self }
        let days = Int((value / 86_400).rounded(.down))
        let (y, m, _) = Self.civil(fromDays: days)
        let within = value - Double(Self.daysFromCivil(year: y, month: m, day: 1)) * 86_400
        return TimeStamp(value: value, month: y * 12 + m - 1, withinMonth: within)
    }

    /// `2024-03-01`, `2024-03-01T12:30:00` for a date; the number for a plain number.
    public var text: String {
        guard month != nil else {
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
        }
        let days = Int((value / 86_400).rounded(.down))
        let (y, m, d) = Self.civil(fromDays: days)
        let seconds = Int((value - Double(days) * 86_400).rounded())
        let date = String(format: "%04d-%02d-%02d", y, m, d)
        guard seconds > 0 else { return date }
        return date + String(format: "T%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(fromDays z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    /// ⌊self / divisor⌋ for a positive divisor.
    fileprivate func floorDivided(by divisor: Int) -> Int { self >= 0 ? self / divisor : -((-self + divisor - 1) / divisor) }
}
