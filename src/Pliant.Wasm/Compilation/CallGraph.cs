using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Which functions of a module count call depth: those that can be re-entered while they are active.
/// <para>A defined function <em>counts</em> (adds one to <see cref="Runtime.ExecState.Depth"/> on entry and
/// checks it against the limit) when it lies on a cycle of direct calls — a strongly connected component
/// of the direct-call graph with two or more functions, or a function calling itself — or when it makes a
/// call whose target is not known at compile time (<c>call_indirect</c>, or a call to an import, which may
/// call back into any export). Every cycle of calls at run time either consists of direct calls only
/// (then all its functions are in one component and count) or takes at least one unknown edge (whose
/// calling function counts), so each trip around any cycle adds at least one to the depth and unbounded
/// recursion traps "call stack exhausted" at <see cref="WasmLimits.MaxCallDepth"/>. Between two counting
/// frames there can only be an acyclic chain of non-counting ones (at most one frame per function of the
/// module); every frame, counting or not, also checks the native stack on entry.</para>
/// <para>The depth is restored by the caller after a call that may have changed it (a counting callee
/// does not decrement on return): a sequence of sibling calls then carries no dependency from one call's
/// depth update to the next one's through memory, which in a call-heavy kernel was a store-to-load
/// forwarding chain costing more than the rest of the call.</para>
/// </summary>
internal sealed class CallGraph
{
    /// <summary>Per defined function: counts call depth on entry.</summary>
    public readonly bool[] Counts;

    /// <summary>Per defined function: contains a call after which the depth must be restored (to a counting function, or an unknown target).</summary>
    public readonly bool[] Restores;

    private CallGraph(bool[] counts, bool[] restores)
    {
        Counts = counts;
        Restores = restores;
    }

    /// <summary>Analyses a validated module's function bodies.</summary>
    public static CallGraph Of(WasmModule m)
    {
        int n = m.Functions.Count, imported = m.ImportedFunctionCount;
        var edges = new List<int>[n];
        var counts = new bool[n];
        for (int f = 0; f < n; f++)
        {
            var list = edges[f] = [];
            foreach (ref readonly var ins in m.Bodies[f].Code.AsSpan())
            {
                if (ins.Op == 0x11) counts[f] = true;
                else if (ins.Op == 0x10)
                {
                    long callee = ins.Imm - imported;
                    if (callee < 0) counts[f] = true;
                    else if (callee == f) counts[f] = true;
                    else list.Add((int)callee);
                }
            }
        }
        foreach (var component in Components(edges))
            if (component.Count > 1)
                foreach (int f in component) counts[f] = true;
        var restores = new bool[n];
        for (int f = 0; f < n; f++)
        {
            foreach (ref readonly var ins in m.Bodies[f].Code.AsSpan())
            {
                if (ins.Op == 0x11 || ins.Op == 0x10 && (ins.Imm < imported || counts[ins.Imm - imported]))
                {
                    restores[f] = true;
                    break;
                }
            }
        }
        return new CallGraph(counts, restores);
    }

    /// <summary>
    /// Strongly connected components (Tarjan's algorithm, iterative: a module may have thousands of
    /// functions in one call chain, deeper than a recursive walk should go on the caller's stack).
    /// </summary>
    internal static List<List<int>> Components(List<int>[] edges)
    {
        int n = edges.Length, next = 0;
        var index = new int[n];
        var low = new int[n];
        var onStack = new bool[n];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var work = new Stack<(int Node, int Edge)>();
        var result = new List<List<int>>();
        for (int root = 0; root < n; root++)
        {
            if (index[root] >= 0) continue;
            work.Push((root, 0));
            index[root] = low[root] = next++;
            stack.Push(root);
            onStack[root] = true;
            while (work.Count > 0)
            {
                var (v, e) = work.Pop();
                if (e < edges[v].Count)
                {
                    work.Push((v, e + 1));
                    int w = edges[v][e];
                    if (index[w] < 0)
                    {
                        index[w] = low[w] = next++;
                        stack.Push(w);
                        onStack[w] = true;
                        work.Push((w, 0));
                    }
                    else if (onStack[w])
                    {
                        low[v] = Math.Min(low[v], index[w]);
                    }
                    continue;
                }
                // v is finished: pass its low link to its parent, or close its component.
                if (work.Count > 0)
                {
                    int parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[v]);
                }
                if (low[v] == index[v])
                {
                    var component = new List<int>();
                    int w;
                    do
                    {
                        w = stack.Pop();
                        onStack[w] = false;
                        component.Add(w);
                    } while (w != v);
                    result.Add(component);
                }
            }
        }
        return result;
    }
}
