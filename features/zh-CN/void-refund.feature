# language: zh-CN
@payment @zh-CN
功能: 撤销的主管密码
  终端声明了主管密码（supervisor.password）时，撤销前必须询问主管密码，输错时拒绝交易、不向主机发送任何请求，
  原交易仍可撤销；终端声明没有主管密码时，撤销不询问。同一组步骤按终端声明判定两种情况。

  @CUP-PAY-023 @severity:critical @mandatory @contact
  场景: 撤销询问终端声明的主管密码并拒绝错误的密码
    假如 卡 UP-DEBIT-IC 插卡消费 150.00 元已成功
    当 操作员用卡 UP-DEBIT-IC 插卡撤销上一笔交易，输入错误的主管密码
    那么 主管密码按终端声明被询问和校验
    当 主机未批准撤销时，操作员用卡 UP-DEBIT-IC 插卡再次撤销
    那么 主机恰好批准了一笔撤销
    而且 该请求指向原交易
    而且 卡 UP-DEBIT-IC 的余额不变
