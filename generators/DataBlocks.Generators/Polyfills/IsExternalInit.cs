// Lets records and init-only setters compile on netstandard2.0.
// Its namespace is not its folder's: the compiler looks the type up as System.Runtime.CompilerServices.IsExternalInit.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
