using System.Linq.Expressions;
using System.Runtime.CompilerServices;

namespace Switchboard.Platform.Pagination;

/// <summary>Pieces of the predicates built at run time for EF Core: keyset bounds, query-string filters, text search.</summary>
public static class QueryExpressions
{
    /// <summary>A value EF sends as a query parameter (a closure field), not as a literal baked into the SQL.</summary>
    public static Expression Parameter<TValue>(TValue value, Type asType)
    {
        Expression field = Expression.Field(Expression.Constant(new StrongBox<TValue>(value)), nameof(StrongBox<TValue>.Value));
        return field.Type == asType ? field : Expression.Convert(field, asType);
    }

    /// <summary>The body of <paramref name="lambda"/> over <paramref name="row"/> instead of its own parameter, to combine lambdas into one.</summary>
    public static Expression Rebind(LambdaExpression lambda, ParameterExpression row) =>
        lambda.Parameters[0] == row ? lambda.Body : new Rebinder(lambda.Parameters[0], row).Visit(lambda.Body);

    public static Expression<Func<T, bool>> Predicate<T>(Expression body, ParameterExpression row) => Expression.Lambda<Func<T, bool>>(body, row);

    private sealed class Rebinder(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
