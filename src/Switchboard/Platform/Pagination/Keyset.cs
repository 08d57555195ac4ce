using System.Linq.Expressions;

namespace Switchboard.Platform.Pagination;

/// <summary>
/// Keyset ("seek") pagination, as expressions EF Core translates: the rows strictly beyond the last row of the previous
/// page in the list's order, so a page at any depth costs one index seek instead of counting past every row before it.
/// Every order is total because ties break on the id.
/// </summary>
public static class Keyset
{
    private static readonly System.Reflection.MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;

    /// <summary>Rows strictly beyond <paramref name="lastId"/> in id order.</summary>
    public static IQueryable<T> AfterId<T>(IQueryable<T> query, Expression<Func<T, string>> id, bool descending, string lastId) =>
        query.Where(QueryExpressions.Predicate<T>(Compare(id.Body, QueryExpressions.Parameter(lastId, typeof(string)), descending, inclusive: false), id.Parameters[0]));

    /// <summary>Rows strictly beyond (<paramref name="value"/>, <paramref name="lastId"/>) in (key, id) order.</summary>
    public static IQueryable<T> After<T, TKey>(IQueryable<T> query, Expression<Func<T, TKey>> key, Expression<Func<T, string>> id,
        bool descending, TKey value, string lastId)
    {
        var row = key.Parameters[0];
        var keyBody = key.Body;
        var idBody = QueryExpressions.Rebind(id, row);
        var v = QueryExpressions.Parameter(value, typeof(TKey));
        var i = QueryExpressions.Parameter(lastId, typeof(string));
        // (key, id) strictly beyond the cursor, written as  key ≤ v AND (key < v OR id < lastId)  (mirrored for ascending).
        // It equals  key < v OR (key = v AND id < lastId),  but its first half is a range bound the (organization_id, key, id)
        // index can seek to, so a page at any depth reads about limit+1 index entries instead of everything before it.
        var bound = Compare(keyBody, v, descending, inclusive: true);
        var beyond = Expression.OrElse(Compare(keyBody, v, descending, inclusive: false), Compare(idBody, i, descending, inclusive: false));
        return query.Where(QueryExpressions.Predicate<T>(Expression.AndAlso(bound, beyond), row));
    }

    private static BinaryExpression Compare(Expression left, Expression right, bool descending, bool inclusive)
    {
        if (left.Type == typeof(string))
        {
            // string.Compare(a, b) ≶ 0 is what EF turns into SQL a ≶ b; ULID ids compare the same in every collation.
            left = Expression.Call(StringCompare, left, right);
            right = Expression.Constant(0);
        }
        return (descending, inclusive) switch
        {
            (true, true) => Expression.LessThanOrEqual(left, right),
            (true, false) => Expression.LessThan(left, right),
            (false, true) => Expression.GreaterThanOrEqual(left, right),
            (false, false) => Expression.GreaterThan(left, right),
        };
    }
}
