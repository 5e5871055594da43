# The module's objects and errors from what the real permwatch.exe printed
# under Wine in this run (tests/powershell/run_tests.sh records each run:
# stdout, stderr, exit code). The exe call is mocked with that record.
BeforeDiscovery {
    $script:HaveCluster = $env:PERMWATCH_TEST_CLUSTER_FIXTURES -eq '1'
}
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

Describe 'Get-PermWatchStatus, from status --json of a console watchdog' {
    BeforeAll { Use-Fixture 'status-running' }
    It 'returns a PermWatch.Status with the keys as PermWatch.KeyState' {
        $s = Get-PermWatchStatus -ConfigPath 'C:\PermWatchPester\watchdog.json'
        $s.PSObject.TypeNames[0] | Should -Be 'PermWatch.Status'
        $s.Version | Should -Match '^\d+\.\d+\.\d+'
        $s.Mode | Should -Be 'enforce'
        $s.KeyCount | Should -Be 1
        $s.Keys[0].PSObject.TypeNames[0] | Should -Be 'PermWatch.KeyState'
        $s.Keys[0].Path | Should -Be 'HKLM\SOFTWARE\PermWatchPester\Watched'
        $s.Keys[0].State | Should -BeIn 'compliant', 'repaired'
        $s.Compliant | Should -BeTrue
        # the watchdog repaired the key it found broken at start
        $s.LastRepair | Should -BeOfType [datetime]
        $s.LastRepair.Kind | Should -Be 'Utc'
        Should -Invoke -ModuleName PermWatch Invoke-PermWatchExe -Times 1 -Exactly -ParameterFilter {
            ($ArgumentList -join ' ') -eq 'status --config C:\PermWatchPester\watchdog.json --json'
        }
    }
    It 'formats as a table' {
        $text = Get-PermWatchStatus | Format-Table | Out-String
        $text | Should -Match 'ComputerName\s+Version\s+Mode\s+KeyCount\s+Compliant'
    }
}

Describe 'Get-PermWatchStatus from the pipeline (Get-ClusterNode), one node not running' {
    BeforeAll {
        Use-Fixture 'status-running' -ParameterFilter { $ComputerName -eq 'NODE1' }
        Use-Fixture 'status-not-running' -ParameterFilter { $ComputerName -eq 'NODE2' }
        Use-Fixture 'status-running' -ParameterFilter { $ComputerName -eq 'NODE3' }
    }
    It 'reports NODE1 and NODE3, and NODE2 as a ResourceUnavailable error whose target is NODE2' {
        $nodes = @('NODE1', 'NODE2', 'NODE3') | ForEach-Object { [pscustomobject]@{ Name = $_; State = 'Up' } }
        $out = @($nodes | Get-PermWatchStatus -ErrorVariable errs -ErrorAction SilentlyContinue)
        @($out | ForEach-Object ComputerName) | Should -Be @('NODE1', 'NODE3')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PermWatch.ServiceNotReachable*'
        $errs[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $errs[0].TargetObject | Should -Be 'NODE2'
        $errs[0].Exception.Message | Should -Match 'not running \(no pipe'
        $errs[0].Exception.Data['PermWatchExitCode'] | Should -Be 4
    }
}

Describe 'The cluster commands where there is no cluster (exit 4)' {
    BeforeAll {
        Use-Fixture 'status-cluster-none' -ParameterFilter { $ArgumentList[0] -eq 'status' }
        Use-Fixture 'check-cluster-none' -ParameterFilter { $ArgumentList[0] -eq 'check' }
    }
    It 'Get-PermWatchClusterStatus: no output, a PermWatch.NoCluster error (ObjectNotFound)' {
        $out = Get-PermWatchClusterStatus -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PermWatch.NoCluster*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].Exception.Message | Should -Match 'no cluster'
    }
    It 'Test-PermWatchCluster -Quiet: $false and the same error' {
        $r = Test-PermWatchCluster -Group 'App Group' -Quiet -ErrorVariable errs -ErrorAction SilentlyContinue
        $r | Should -BeOfType [bool]
        $r | Should -BeFalse
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PermWatch.NoCluster*'
        $errs[0].TargetObject | Should -Be 'App Group'
    }
    It 'is not terminating: the script goes on' {
        $after = $false
        Test-PermWatchCluster -ErrorAction SilentlyContinue
        $after = $true
        $after | Should -BeTrue
    }
}

Describe 'An error of permwatch (exit 2) is terminating' {
    BeforeAll { Use-Fixture 'check-bad-config' }
    It 'Invoke-PermWatchRepair stops with PermWatch.CommandFailed (InvalidOperation) and permwatch''s line' {
        $e = { Invoke-PermWatchRepair -ConfigPath 'C:\PermWatchPester\missing.json' -Confirm:$false } |
            Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'PermWatch.CommandFailed*'
        $e.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $e.Exception.Message | Should -Match 'missing\.json'
        $e.Exception.Data['PermWatchExitCode'] | Should -Be 2
    }
}

Describe 'The cluster, from two simulated nodes' -Skip:(-not $script:HaveCluster) {
    Context 'status --cluster, NODE2''s key drifted (its PermWatch audits)' {
        BeforeAll { Use-Fixture 'status-cluster-not-ready' }
        It 'returns a PermWatch.ClusterNodeStatus per node' {
            $nodes = @(Get-PermWatchClusterStatus)
            $nodes.Count | Should -Be 2
            $nodes[0].PSObject.TypeNames[0] | Should -Be 'PermWatch.ClusterNodeStatus'
            $n1 = $nodes | Where-Object Node -eq 'NODE1'
            $n2 = $nodes | Where-Object Node -eq 'NODE2'
            $n1.Running | Should -BeTrue
            $n1.Compliant | Should -Be 1
            $n1.Drift | Should -Be 0
            $n2.Running | Should -BeTrue
            $n2.Mode | Should -Be 'audit'
            $n2.Drift | Should -Be 1
            $n2.ClusterState | Should -Be 'up'
            $n2.Heartbeat | Should -BeOfType [datetime]
        }
    }
    Context 'check --cluster --group, both nodes compliant' {
        BeforeAll { Use-Fixture 'check-cluster-ready' }
        It 'returns Ready and a ready row per node and key' {
            $c = Test-PermWatchCluster -Group 'App Group'
            $c.PSObject.TypeNames[0] | Should -Be 'PermWatch.ClusterCheck'
            $c.Ready | Should -BeTrue
            $c.Groups | Should -Be @('App Group')
            @($c.Rows).Count | Should -Be 2
            @($c.Rows | ForEach-Object Node | Sort-Object) | Should -Be @('NODE1', 'NODE2')
            $c.Rows | ForEach-Object { $_.Key | Should -Be 'HKLM\SOFTWARE\PermWatchPester\Clustered' }
            $c.Rows | ForEach-Object { $_.Ready | Should -BeTrue }
            @($c.NotReady).Count | Should -Be 0
            Should -Invoke -ModuleName PermWatch Invoke-PermWatchExe -ParameterFilter {
                ($ArgumentList -join ' ') -eq 'check --cluster --group App Group --json'
            }
        }
        It '-Quiet returns only $true' {
            $r = Test-PermWatchCluster -Group 'App Group' -Quiet
            $r | Should -BeOfType [bool]
            $r | Should -BeTrue
        }
    }
    Context 'check --cluster --group, NODE2''s key drifted' {
        BeforeAll { Use-Fixture 'check-cluster-not-ready' }
        It 'names NODE2, the key and drift; NODE1 stays ready' {
            $c = Test-PermWatchCluster -Group 'App Group'
            $c.Ready | Should -BeFalse
            @($c.NotReady).Count | Should -Be 1
            $c.NotReady[0].PSObject.TypeNames[0] | Should -Be 'PermWatch.ClusterCheckRow'
            $c.NotReady[0].Node | Should -Be 'NODE2'
            $c.NotReady[0].Key | Should -Be 'HKLM\SOFTWARE\PermWatchPester\Clustered'
            $c.NotReady[0].Reason | Should -Be 'drift'
            ($c.Rows | Where-Object Node -eq 'NODE1').Ready | Should -BeTrue
            ($c.NotReady | Format-Table | Out-String) | Should -Match 'NODE2'
        }
        It '-Quiet returns only $false, with no error' {
            $r = Test-PermWatchCluster -Group 'App Group' -Quiet -ErrorVariable errs
            $r | Should -BeFalse
            $errs | Should -BeNullOrEmpty
        }
    }
}
